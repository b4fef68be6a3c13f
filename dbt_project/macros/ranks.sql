{#- The NATO NCGP rank band of a NATO STANAG 2116 code ('OF-5' -> 'OF3-5'). -#}
{% macro rank_band(nato_code) -%}
    case
        when {{ nato_code }} in ('OF-6', 'OF-7', 'OF-8', 'OF-9', 'OF-10') then 'OF6+'
        when {{ nato_code }} in ('OF-3', 'OF-4', 'OF-5') then 'OF3-5'
        when {{ nato_code }} in ('OF-1', 'OF-2') then 'OF1-2'
        when {{ nato_code }} in ('OR-5', 'OR-6', 'OR-7', 'OR-8', 'OR-9') then 'OR5-9'
        when {{ nato_code }} in ('OR-1', 'OR-2', 'OR-3', 'OR-4') then 'OR1-4'
    end
{%- endmacro %}
