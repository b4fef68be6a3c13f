-- Applications received during the quarter. Grain: (country_code, period, application_no).
-- depends_on: {{ ref('int_partition_inputs') }}
{{ config(**partitioned_incremental('recruitment_fingerprint')) }}
{%- set partitions = partitions_to_build('recruitment_fingerprint') %}

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
where {{ partition_filter(partitions) }}
