-- Gender-equality courses completed during the quarter. Grain: (country_code, period, source_row).
{{ config(materialized='partitioned', partition_inputs='trainings',
          unique_key=['country_code', 'period', 'source_row']) }}

select
    {{ surrogate_key(['country_code', 'period', 'source_row']) }} as training_key,
    country_code,
    period,
    source_row,
    person_key,
    sex_code,
    course_code,
    completion_date
from {{ ref('stg_trainings') }}
where {{ partition_filter() }}
