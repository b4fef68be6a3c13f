{#- Each listed column's values exist in its parent (`to`, a ref or source, at `field`), in one dbt node
    instead of one per column: a row per column and value with no parent, naming both, with how many
    rows hold it. NULL is left to not_null_columns, as dbt's `relationships` leaves it. -#}
{% test relationships_by_column(model, columns) %}
{%- for column, parent in columns.items() %}
select '{{ column }}' as column_name, cast(child.{{ column }} as varchar) as value_found, count(*) as failing_rows
from {{ model }} as child
left join {{ parent.to }} as parent on child.{{ column }} = parent.{{ parent.field }}
where child.{{ column }} is not null and parent.{{ parent.field }} is null
group by child.{{ column }}
{{ "union all" if not loop.last }}
{%- endfor %}
{% endtest %}
