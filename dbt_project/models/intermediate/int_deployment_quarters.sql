-- Each deployment of a quarter's file with its overlap with that quarter: a deployment crossing a
-- quarter's end is in both quarters' files, and counts in each. Grain: (country_code, period, source_row).
{{ config(materialized='partitioned', partition_inputs='deployments',
          unique_key=['country_code', 'period', 'source_row']) }}

with deployments as (

    select
        *,
        {{ period_first_day('period') }} as quarter_first_day,
        {{ period_last_day('period') }} as quarter_last_day
    from {{ ref('stg_deployments') }}
    where {{ partition_filter() }}

)

select
    country_code,
    period,
    source_row,
    person_key,
    sex_code,
    category_code,
    local_rank,
    mission_name,
    organization_code,
    role_code,
    start_date,
    end_date,
    case when start_date > quarter_first_day then start_date else quarter_first_day end as overlap_start_date,
    case when end_date is not null and end_date < quarter_last_day then end_date else quarter_last_day end
        as overlap_end_date,
    start_date < quarter_first_day as began_before_quarter,
    (end_date is null or end_date > quarter_last_day) as continues_after_quarter,
    -- the spec's overlap rule; the reader rejects a file with a row that breaks it
    (start_date <= quarter_last_day and (end_date is null or end_date >= quarter_first_day)) as overlaps_quarter
from deployments
