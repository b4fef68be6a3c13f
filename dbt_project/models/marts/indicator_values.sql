-- The published indicator table for authorised users: every indicator of every country and quarter
-- with accepted personnel, every breakdown, and the rows of each region (seed region_members; WB4:
-- the four countries of the spec). Grain: (indicator_code, country_code, period, breakdown,
-- breakdown_value). See docs/decisions.md (Marts and indicators).
{{ config(contract={'enforced': true}, materialized='partitioned', partition_inputs='indicators',
          unique_key=['indicator_code', 'country_code', 'period', 'breakdown', 'breakdown_value']) }}
{%- set families = ['ind_workforce', 'ind_recruitment', 'ind_turnover', 'ind_deployment', 'ind_training',
                    'ind_complaints'] %}

with family_rows as (

    {#- a country's partition reads its own rows, a region's every member of its quarter: read the
        quarters being built, keep each kind of row for the partitions it belongs to below #}
    {%- for family in families %}
    select country_code, period, indicator_code, breakdown, breakdown_value, numerator, denominator
    from {{ ref(family) }}
    where {{ partition_filter(any_country=true) }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

country_rows as (

    select * from family_rows where {{ partition_filter() }}

),

regions as (

    select region_code, count(*) as members
    from {{ ref('region_members') }}
    group by region_code

),

regional_inputs as (

    select m.region_code, f.*
    from family_rows as f
    inner join {{ ref('region_members') }} as m on m.country_code = f.country_code

),

-- a region's row exists only where every member country has the indicator's total row
complete_quarters as (

    select i.region_code, i.period, i.indicator_code
    from regional_inputs as i
    inner join regions as g on g.region_code = i.region_code
    where i.breakdown = 'total'
    group by i.region_code, i.period, i.indicator_code
    having count(distinct i.country_code) = max(g.members)

),

regional_rows as (

    -- sums over the members; a member without a breakdown value counts 0
    select
        i.region_code as country_code,
        i.period,
        i.indicator_code,
        i.breakdown,
        i.breakdown_value,
        sum(i.numerator) as numerator,
        sum(i.denominator) as denominator
    from regional_inputs as i
    inner join complete_quarters as c
        on c.region_code = i.region_code and c.period = i.period and c.indicator_code = i.indicator_code
    group by i.region_code, i.period, i.indicator_code, i.breakdown, i.breakdown_value

),

all_rows as (

    select * from country_rows
    union all
    select * from regional_rows where {{ partition_filter() }}

)

select
    cast(r.indicator_code as {{ dbt.type_string() }}) as indicator_code,
    cast(r.country_code as {{ dbt.type_string() }}) as country_code,
    cast(r.period as {{ dbt.type_string() }}) as period,
    cast(r.breakdown as {{ dbt.type_string() }}) as breakdown,
    cast(r.breakdown_value as {{ dbt.type_string() }}) as breakdown_value,
    cast(r.numerator as {{ dbt.type_bigint() }}) as numerator,
    cast(r.denominator as {{ dbt.type_bigint() }}) as denominator,
    cast(case
        when i.unit = 'count' then r.numerator
        when r.denominator = 0 then null
        -- cast before dividing: bigint / bigint truncates on PostgreSQL (and is a double on DuckDB)
        when i.unit = 'per_1000' then 1000 * cast(r.numerator as {{ type_double() }}) / r.denominator
        else 100 * cast(r.numerator as {{ type_double() }}) / r.denominator
    end as {{ type_double() }}) as value,
    cast(i.unit as {{ dbt.type_string() }}) as unit,
    cast('A' as {{ dbt.type_string() }}) as obs_status
from all_rows as r
inner join {{ ref('dim_indicator') }} as i on i.indicator_code = r.indicator_code
