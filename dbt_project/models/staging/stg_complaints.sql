-- Staging: rename and cast only. One row per row of the accepted complaints table.
with source as (

    select * from {{ source('raw', 'complaints') }}

),

renamed as (

    select
        country_code,
        period,
        submission_table_id,
        source_row,
        case_no,
        cast(report_date as date) as report_date,
        type as complaint_type_code,
        complainant_sex as complainant_sex_code,
        status as status_code,
        cast(closed_date as date) as closed_date
    from source

)

select * from renamed
