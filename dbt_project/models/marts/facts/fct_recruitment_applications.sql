-- Applications received during the quarter. Grain: (country_code, period, application_no).
{{ config(materialized='partitioned', partition_inputs='recruitment',
          unique_key=['country_code', 'period', 'application_no']) }}

select
    {{ surrogate_key(['country_code', 'period', 'application_no']) }} as application_key,
    country_code,
    period,
    application_no,
    sex_code,
    birth_year,
    channel_code,
    outcome_code,
    application_date,
    outcome_code = 'admitted' as is_admitted,
    outcome_code in ('admitted', 'rejected') as is_decided
from {{ ref('stg_recruitment') }}
where {{ partition_filter() }}
