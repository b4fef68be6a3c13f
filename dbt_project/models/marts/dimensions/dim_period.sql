-- Every quarter with any accepted table, with its calendar. Grain: period.
with periods as (

    select distinct period from {{ ref('int_partition_inputs') }}

)

select
    period,
    cast(substring(period, 1, 4) as integer) as year,
    cast(substring(period, 6, 1) as integer) as quarter,
    {{ period_index('period') }} as period_index,
    {{ period_first_day('period') }} as first_day,
    {{ period_last_day('period') }} as last_day
from periods
