{#- Each listed column holds only its accepted values (NULL is not checked here: not_null_columns says
    which columns must hold one), in one dbt node instead of one per column: a row per column and
    value found outside its list, naming both, with how many rows hold it. -#}
{% test accepted_values_by_column(model, values) %}
{%- for column, accepted in values.items() %}
select '{{ column }}' as column_name, cast({{ column }} as varchar) as value_found, count(*) as failing_rows
from {{ model }}
where {{ column }} not in ({% for value in accepted %}'{{ value }}'{{ ", " if not loop.last }}{% endfor %})
group by {{ column }}
{{ "union all" if not loop.last }}
{%- endfor %}
{% endtest %}
