select
    indicator_code,
    indicator_name,
    unit,
    source_table,
    numerator_definition,
    denominator_definition,
    breakdowns
from {{ ref('indicators') }}
