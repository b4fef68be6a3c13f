-- The disclosure-controlled twin of indicator_values: what leaves the restricted zone. A row whose
-- numerator, or whose denominator minus numerator, is 1..threshold persons (var disclosure_threshold,
-- default 2) is confidential: obs_status 'C' and no numbers. Primary suppression only.
-- Grain: (indicator_code, country_code, period, breakdown, breakdown_value).
{{ config(contract={'enforced': true}, materialized='partitioned', partition_inputs='indicators',
          unique_key=['indicator_code', 'country_code', 'period', 'breakdown', 'breakdown_value']) }}
{%- set threshold = var('disclosure_threshold') | int %}

with indicator_values as (

    select * from {{ ref('indicator_values') }}
    where {{ partition_filter() }}

),

classified as (

    select
        *,
        (
            numerator between 1 and {{ threshold }}
            or (denominator - numerator) between 1 and {{ threshold }}
        ) as is_confidential
    from indicator_values

)

select
    indicator_code,
    country_code,
    period,
    breakdown,
    breakdown_value,
    case when is_confidential then null else numerator end as numerator,
    case when is_confidential then null else denominator end as denominator,
    case when is_confidential then null else value end as value,
    unit,
    cast(case when is_confidential then 'C' else obs_status end as {{ dbt.type_string() }}) as obs_status
from classified
