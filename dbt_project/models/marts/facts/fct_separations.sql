-- People who left during the quarter, with their sex and category as the separations row gives them.
-- Grain: (country_code, period, source_row): one row per accepted separations row.
{{ config(materialized='partitioned', partition_inputs='separations',
          unique_key=['country_code', 'period', 'source_row']) }}

select
    {{ surrogate_key(['country_code', 'period', 'source_row']) }} as separation_key,
    country_code,
    period,
    source_row,
    person_key,
    {{ rank_key() }} as rank_key,
    sex_code,
    category_code,
    category_code in {{ sql_list('uniformed_categories') }} as is_uniformed,
    exit_date,
    reason_code
from {{ ref('stg_separations') }}
where {{ partition_filter() }}
