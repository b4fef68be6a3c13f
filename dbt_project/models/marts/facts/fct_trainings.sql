-- Gender-equality courses completed during the quarter. Grain: (country_code, period, source_row).
-- depends_on: {{ ref('int_partition_inputs') }}
{{ config(**partitioned_incremental('trainings_fingerprint')) }}
{%- set partitions = partitions_to_build('trainings_fingerprint') %}

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
where {{ partition_filter(partitions) }}
