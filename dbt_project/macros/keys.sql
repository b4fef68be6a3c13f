{#- A surrogate key: the hash of the columns' text, NULL written as a marker so that (NULL, 'a') and ('', 'a') differ. -#}
{% macro surrogate_key(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '~null~')") -%}
        {%- if not loop.last %}{% do parts.append("'|'") %}{% endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}


{#- The rank of a row (dim_rank.rank_key); NULL for civilians and cadets, who carry no rank. -#}
{% macro rank_key(country_code='country_code', local_rank='local_rank') -%}
    case when {{ local_rank }} is not null then {{ surrogate_key([country_code, local_rank]) }} end
{%- endmacro %}
