-- Staging: rename and cast only. One row per row of the accepted trainings table.
with source as (

    select * from {{ source('raw', 'trainings') }}

),

renamed as (

    select
        country_code,
        period,
        submission_table_id,
        source_row,
        person_key,
        sex as sex_code,
        course as course_code,
        cast(completion_date as date) as completion_date
    from source

)

select * from renamed
