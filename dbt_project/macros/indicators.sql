{#-
  The rows of one indicator, by the spec's rules of existence:
  - the total row of every partition in `reported` (numerator 0 and denominator 0 when nothing counts);
  - a breakdown row only where its denominator is above 0 (unit count: where its numerator is above 0).

  rows:        a relation or CTE with country_code, period and the columns below
  reported:    a CTE of the (country_code, period) where the indicator exists
  population:  SQL condition: the row belongs to the denominator
  numerator:   SQL condition: the row (of the population) belongs to the numerator
  breakdowns:  a list of [breakdown name, SQL expression of its value]; a NULL value is no breakdown row
  distinct:    count distinct values of this column (a person) instead of rows
  with_denominator: false for unit count (the denominator is NULL)
-#}
{% macro indicator_rows(indicator_code, rows, reported, population, numerator, breakdowns=[], distinct=none,
                        with_denominator=true) %}
    select
        reported.country_code,
        reported.period,
        '{{ indicator_code }}' as indicator_code,
        'total' as breakdown,
        'total' as breakdown_value,
        cast(coalesce(counts.numerator, 0) as {{ dbt.type_bigint() }}) as numerator,
        {% if with_denominator -%}
        cast(coalesce(counts.denominator, 0) as {{ dbt.type_bigint() }})
        {%- else -%}
        cast(null as {{ dbt.type_bigint() }})
        {%- endif %} as denominator
    from {{ reported }} as reported
    left join (
        select
            country_code,
            period,
            {{ indicator_tally(numerator, distinct) }} as numerator,
            {{ indicator_tally('1 = 1', distinct) }} as denominator
        from {{ rows }}
        where {{ population }}
        group by country_code, period
    ) as counts
        on counts.country_code = reported.country_code and counts.period = reported.period
    {%- for name, expression in breakdowns %}
    union all
    select
        r.country_code,
        r.period,
        '{{ indicator_code }}' as indicator_code,
        '{{ name }}' as breakdown,
        {{ expression }} as breakdown_value,
        cast({{ indicator_tally(numerator, distinct) }} as {{ dbt.type_bigint() }}) as numerator,
        {% if with_denominator -%}
        cast({{ indicator_tally('1 = 1', distinct) }} as {{ dbt.type_bigint() }})
        {%- else -%}
        cast(null as {{ dbt.type_bigint() }})
        {%- endif %} as denominator
    from {{ rows }} as r
    where {{ population }} and {{ expression }} is not null
        and exists (select 1 from {{ reported }} as reported
                    where reported.country_code = r.country_code and reported.period = r.period)
    group by r.country_code, r.period, {{ expression }}
    {%- if not with_denominator %}
    having {{ indicator_tally(numerator, distinct) }} > 0
    {%- endif %}
    {%- endfor %}
{% endmacro %}


{% macro indicator_tally(condition, distinct) -%}
    {%- if distinct -%}
        count(distinct case when {{ condition }} then {{ distinct }} end)
    {%- else -%}
        sum(case when {{ condition }} then 1 else 0 end)
    {%- endif -%}
{%- endmacro %}


{#- The partitions of an indicator family where its indicators exist: personnel(q) accepted and each
    table of `requires` reported (e.g. ['recruitment_id']), with the ids of the tables they have. -#}
{% macro reported_partitions(requires=[]) %}
    select country_code, period, period_index, personnel_id, previous_personnel_id, recruitment_id, separations_id,
           deployments_id, trainings_id, complaints_id
    from {{ ref('int_partition_inputs') }}
    where personnel_id is not null and {{ partition_filter() }}
    {%- for id in requires %}
        and {{ id }} is not null
    {%- endfor %}
{% endmacro %}
