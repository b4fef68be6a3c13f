-- Staging: rename and cast only. One row per row of the accepted recruitment table.
with source as (

    select * from {{ source('raw', 'recruitment') }}

),

renamed as (

    select
        country_code,
        period,
        submission_table_id,
        source_row,
        application_no,
        sex as sex_code,
        cast(birth_year as integer) as birth_year,
        channel as channel_code,
        outcome as outcome_code,
        cast(application_date as date) as application_date
    from source

)

select * from renamed
