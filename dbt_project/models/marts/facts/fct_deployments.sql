-- Deployments to international missions overlapping the quarter, with the overlap.
-- Grain: (country_code, period, source_row): one row per accepted deployments row.
{{ config(materialized='partitioned', partition_inputs='deployments',
          unique_key=['country_code', 'period', 'source_row']) }}

select
    {{ surrogate_key(['country_code', 'period', 'source_row']) }} as deployment_key,
    country_code,
    period,
    source_row,
    person_key,
    {{ rank_key() }} as rank_key,
    sex_code,
    category_code,
    mission_name,
    organization_code,
    role_code,
    start_date,
    end_date,
    overlap_start_date,
    overlap_end_date,
    -- dbt's portable datediff renders as one long expression (LT05 measures the rendered line)
    1 + {{ dbt.datediff('overlap_start_date', 'overlap_end_date', 'day') }} as overlap_days,  -- noqa: LT05
    began_before_quarter,
    continues_after_quarter
from {{ ref('int_deployment_quarters') }}
where {{ partition_filter() }}
