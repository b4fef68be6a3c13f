{#- A project variable that holds a list, as an SQL list of literals: ('officer', 'nco', 'soldier') -#}
{% macro sql_list(var_name) -%}
    ('{{ var(var_name) | join("', '") }}')
{%- endmacro %}
