-- Complaint cases as the quarter's file gives them: received in the quarter, closed in it, or open
-- at its end. Grain: (country_code, period, case_no).
{{ config(materialized='partitioned', partition_inputs='complaints',
          unique_key=['country_code', 'period', 'case_no']) }}

with complaints as (

    select
        *,
        {{ period_first_day('period') }} as quarter_first_day,
        {{ period_last_day('period') }} as quarter_last_day
    from {{ ref('stg_complaints') }}
    where {{ partition_filter() }}

)

select
    {{ surrogate_key(['country_code', 'period', 'case_no']) }} as complaint_key,
    country_code,
    period,
    case_no,
    report_date,
    complaint_type_code,
    complainant_sex_code,
    status_code,
    closed_date,
    report_date between quarter_first_day and quarter_last_day as is_received_in_quarter,
    coalesce(
        status_code in {{ sql_list('closed_complaint_statuses') }}
        and closed_date between quarter_first_day and quarter_last_day,
        false
    ) as is_closed_in_quarter
from complaints
