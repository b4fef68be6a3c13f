{#- Rows that would single out 1..threshold persons: a visible numerator, or a visible complement
    (denominator - numerator), between 1 and the threshold. -#}
{% test no_small_cells(model, threshold) %}
select *
from {{ model }}
where numerator between 1 and {{ threshold }}
   or (denominator - numerator) between 1 and {{ threshold }}
{% endtest %}
