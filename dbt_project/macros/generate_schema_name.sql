{# Models land in the schema they name (staging, marts, reference), not <target>_<schema>:
   analysts and the registry refer to these names. #}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
