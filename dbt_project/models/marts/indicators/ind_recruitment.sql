-- Recruitment indicators of the quarter's applications. Exist where recruitment(q) was reported
-- (and personnel(q) accepted). Grain: (country_code, period, indicator_code, breakdown, breakdown_value).
{{ config(materialized='partitioned', partition_inputs='recruitment_indicators',
          unique_key=['country_code', 'period', 'indicator_code', 'breakdown', 'breakdown_value']) }}

with reported as (

    {{ reported_partitions(requires=['recruitment_id']) }}

),

applications as (

    select * from {{ ref('fct_recruitment_applications') }}
    where {{ partition_filter() }}

)

{{ indicator_rows('WSHARE_APPLICANTS', 'applications', 'reported', '1 = 1', "sex_code = 'F'",
                  breakdowns=[['channel', 'channel_code']]) }}
union all
{{ indicator_rows('WSHARE_ADMITTED', 'applications', 'reported', 'is_admitted', "sex_code = 'F'",
                  breakdowns=[['channel', 'channel_code']]) }}
union all
{{ indicator_rows('ADMISSION_RATE', 'applications', 'reported', 'is_decided', 'is_admitted',
                  breakdowns=[['sex', 'sex_code']]) }}
