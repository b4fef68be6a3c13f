-- Attrition and promotion: quarter q against snapshot(q-1). Both exist only where snapshot(q-1) is
-- accepted; attrition also needs separations(q). Grain: (country_code, period, indicator_code,
-- breakdown, breakdown_value).
{{ config(materialized='partitioned', partition_inputs='turnover',
          unique_key=['country_code', 'period', 'indicator_code', 'breakdown', 'breakdown_value']) }}

with with_previous as (

    {{ reported_partitions(requires=['previous_personnel_id']) }}

),

with_separations as (

    select * from with_previous where separations_id is not null

),

snapshot as (

    select * from {{ ref('fct_personnel_quarter') }}
    where {{ partition_filter() }}

),

-- attrition: separations(q) of uniformed persons, by each row's own sex and category ...
separated as (

    select country_code, period, sex_code, count(*) as separations
    from {{ ref('fct_separations') }}
    where {{ partition_filter() }} and is_uniformed
    group by country_code, period, sex_code

),

-- ... over the uniformed persons of snapshot(q-1), counted under quarter q
previously_uniformed as (

    select q.country_code, q.period, p.sex_code, count(*) as persons
    from {{ ref('fct_personnel_quarter') }} as p
    inner join with_separations as q
        on q.country_code = p.country_code and q.period_index = {{ period_index('p.period') }} + 1
    where {{ partition_filter(lag=1, country_column='p.country_code', period_column='p.period') }}
        and p.is_uniformed
    group by q.country_code, q.period, p.sex_code

),

attrition_by_sex as (

    select
        q.country_code,
        q.period,
        sexes.sex_code,
        coalesce(s.separations, 0) as numerator,
        coalesce(d.persons, 0) as denominator
    from with_separations as q
    cross join {{ ref('dim_sex') }} as sexes
    left join separated as s
        on s.country_code = q.country_code and s.period = q.period and s.sex_code = sexes.sex_code
    left join previously_uniformed as d
        on d.country_code = q.country_code and d.period = q.period and d.sex_code = sexes.sex_code

)

select
    country_code,
    period,
    'ATTRITION_RATE' as indicator_code,
    'total' as breakdown,
    'total' as breakdown_value,
    cast(sum(numerator) as {{ dbt.type_bigint() }}) as numerator,
    cast(sum(denominator) as {{ dbt.type_bigint() }}) as denominator
from attrition_by_sex
group by country_code, period
union all
select
    country_code,
    period,
    'ATTRITION_RATE' as indicator_code,
    'sex' as breakdown,
    sex_code as breakdown_value,
    cast(numerator as {{ dbt.type_bigint() }}) as numerator,
    cast(denominator as {{ dbt.type_bigint() }}) as denominator
from attrition_by_sex
where denominator > 0
union all
-- promotion: uniformed in both snapshots, sex as snapshot(q) gives it
{{ indicator_rows('PROMOTION_RATE', 'snapshot', 'with_previous', 'is_uniformed and was_uniformed_previous', 'is_promoted',
                  breakdowns=[['sex', 'sex_code']]) }}
