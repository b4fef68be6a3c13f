-- Complaints of the quarter's file: received in q (by type, per 1000 personnel of snapshot(q)) and
-- the share substantiated among those closed in q. Grain: (country_code, period, indicator_code,
-- breakdown, breakdown_value).
{{ config(materialized='partitioned', partition_inputs='complaint_indicators',
          unique_key=['country_code', 'period', 'indicator_code', 'breakdown', 'breakdown_value']) }}

with reported as (

    {{ reported_partitions(requires=['complaints_id']) }}

),

complaints as (

    select * from {{ ref('fct_complaints') }}
    where {{ partition_filter() }}

),

headcount as (

    select country_code, period, count(*) as persons
    from {{ ref('fct_personnel_quarter') }}
    where {{ partition_filter() }}
    group by country_code, period

),

received as (

    {{ indicator_rows('COMPLAINTS_RECEIVED', 'complaints', 'reported', 'is_received_in_quarter',
                      'is_received_in_quarter', breakdowns=[['type', 'complaint_type_code']], with_denominator=false) }}

)

select * from received
union all
select
    received.country_code,
    received.period,
    'COMPLAINTS_PER_1000' as indicator_code,
    'total' as breakdown,
    'total' as breakdown_value,
    received.numerator,
    cast(coalesce(headcount.persons, 0) as {{ dbt.type_bigint() }}) as denominator
from received
left join headcount on headcount.country_code = received.country_code and headcount.period = received.period
where received.breakdown = 'total'
union all
{{ indicator_rows('COMPLAINTS_SUBSTANTIATED', 'complaints', 'reported', 'is_closed_in_quarter',
                  "status_code = 'substantiated'") }}
