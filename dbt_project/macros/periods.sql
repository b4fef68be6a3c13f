{#- Quarters as text ('2024Q3') and as a running index (year * 4 + quarter - 1), in portable SQL. -#}

{% macro period_index(period) -%}
    (cast(substring({{ period }}, 1, 4) as integer) * 4 + cast(substring({{ period }}, 6, 1) as integer) - 1)
{%- endmacro %}

{% macro period_first_day(period) -%}
    cast({{ dbt.concat([
        "substring(" ~ period ~ ", 1, 4)", "'-'",
        "lpad(cast(cast(substring(" ~ period ~ ", 6, 1) as integer) * 3 - 2 as " ~ dbt.type_string() ~ "), 2, '0')",
        "'-01'"]) }} as date)
{%- endmacro %}

{% macro period_last_day(period) -%}
    cast({{ dbt.last_day(dbt.dateadd('month', 2, period_first_day(period)), 'month') }} as date)
{%- endmacro %}

{#- A value with double precision: DuckDB's FLOAT is single precision, PostgreSQL spells it differently. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double')()) }}
{%- endmacro %}

{% macro default__type_double() -%}double precision{%- endmacro %}

{% macro duckdb__type_double() -%}double{%- endmacro %}
