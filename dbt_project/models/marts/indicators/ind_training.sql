-- Cumulative training: coverage of snapshot(q) and gender coaches trained, counting courses of this
-- and every earlier reported quarter. Exist for q only where trainings(q) was reported.
-- Grain: (country_code, period, indicator_code, breakdown, breakdown_value).
{{ config(materialized='partitioned', partition_inputs='training_indicators',
          unique_key=['country_code', 'period', 'indicator_code', 'breakdown', 'breakdown_value']) }}

with reported as (

    {{ reported_partitions(requires=['trainings_id']) }}

),

trained_persons as (

    select * from {{ ref('int_person_trainings') }}
    where {{ country_filter() }}

),

snapshot as (

    select
        p.*,
        coalesce(t.first_training_period_index <= {{ period_index('p.period') }}, false) as is_trained
    from {{ ref('fct_personnel_quarter') }} as p
    left join trained_persons as t on t.country_code = p.country_code and t.person_key = p.person_key
    where {{ partition_filter(country_column='p.country_code', period_column='p.period') }}

),

coaches as (

    select reported.country_code, reported.period, t.person_key
    from reported
    inner join trained_persons as t
        on t.country_code = reported.country_code and t.first_coach_period_index <= reported.period_index

)

{{ indicator_rows('TRAINING_COVERAGE', 'snapshot', 'reported', '1 = 1', 'is_trained', breakdowns=[['sex', 'sex_code']]) }}
union all
{{ indicator_rows('GENDER_COACH_TOTAL', 'coaches', 'reported', '1 = 1', '1 = 1', distinct='person_key',
                  with_denominator=false) }}
