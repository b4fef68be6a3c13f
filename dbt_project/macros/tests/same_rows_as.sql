{#- The model and `other` have the same keys: a row in one and not in the other fails. -#}
{% test same_rows_as(model, other, columns) %}
{%- set keys = columns | join(', ') %}
(select {{ keys }} from {{ model }} except select {{ keys }} from {{ other }})
union all
(select {{ keys }} from {{ other }} except select {{ keys }} from {{ model }})
{% endtest %}
