{#- The model's columns that must hold a value, checked in one scan (one dbt node, one asset check,
    instead of one per column): a row per column that has NULLs, naming it, with how many. -#}
{% test not_null_columns(model, columns) %}
with null_rows as (
    select
        {%- for column in columns %}
        count(*) filter (where {{ column }} is null) as {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ model }}
)
{%- for column in columns %}
select '{{ column }}' as column_name, {{ column }} as failing_rows from null_rows where {{ column }} > 0
{{ "union all" if not loop.last }}
{%- endfor %}
{% endtest %}
