{#- A model's (or seed's) row rules in one dbt test: one node and one asset check per model instead of
    one per rule and column, since each node costs dbt and Dagster the same whatever its query.
      unique:          keys, each a list of columns, that no two rows share (a key's NULLs count as a value)
      not_null:        the columns that must hold a value (counted in one scan)
      accepted_values: {column: [values]}, the values a column may hold (NULL is left to not_null)
      relationships:   {column: {to: ref or source, field: column}}, the parent each value must have
                       (NULL is left to not_null, as dbt's relationships leaves it)
    A failing row names the rule, the column (or the key's columns), the value found and how many rows
    hold it; dbt counts the failing rows. -#}
{% test rules(model, unique=[], not_null=[], accepted_values={}, relationships={}) %}
{%- set parts = [] -%}
{%- for key in unique -%}
    {%- set columns = [key] if key is string else key -%}
    {%- set casts = [] -%}
    {%- for column in columns %}{% do casts.append("cast(" ~ column ~ " as varchar)") %}{% endfor -%}
    {%- do parts.append(
        "select 'unique' as rule, '" ~ columns | join(', ') ~ "' as column_name, "
        ~ "concat_ws(' ', " ~ casts | join(', ') ~ ") as value_found, "
        ~ "count(*) as failing_rows from " ~ model ~ " group by " ~ columns | join(', ') ~ " having count(*) > 1") -%}
{%- endfor -%}
{%- for column in not_null -%}
    {%- do parts.append(
        "select 'not_null' as rule, '" ~ column ~ "' as column_name, cast(null as varchar) as value_found, "
        ~ column ~ " as failing_rows from null_counts where " ~ column ~ " > 0") -%}
{%- endfor -%}
{%- for column, values in accepted_values.items() -%}
    {%- do parts.append(
        "select 'accepted_values' as rule, '" ~ column ~ "' as column_name, cast(" ~ column ~ " as varchar) as value_found, "
        ~ "count(*) as failing_rows from " ~ model ~ " where " ~ column ~ " not in ('" ~ values | join("', '") ~ "') "
        ~ "group by " ~ column) -%}
{%- endfor -%}
{%- for column, parent in relationships.items() -%}
    {%- do parts.append(
        "select 'relationships' as rule, '" ~ column ~ "' as column_name, cast(child." ~ column ~ " as varchar) as value_found, "
        ~ "count(*) as failing_rows from " ~ model ~ " as child left join " ~ parent.to ~ " as parent on child."
        ~ column ~ " = parent." ~ parent.field ~ " where child." ~ column ~ " is not null and parent." ~ parent.field
        ~ " is null group by child." ~ column) -%}
{%- endfor -%}
{%- if not parts -%}
    {% do exceptions.raise_compiler_error("test rules on " ~ model ~ " names no rule") %}
{%- endif -%}
{%- if not_null %}
with null_counts as (
    select
        {%- for column in not_null %}
        count(*) filter (where {{ column }} is null) as {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ model }}
)
{%- endif %}
{{ parts | join("\nunion all\n") }}
{% endtest %}
