-- Staging: rename and cast only. One row per row of the accepted personnel table.
with source as (

    select * from {{ source('raw', 'personnel') }}

),

renamed as (

    select
        country_code,
        period,
        submission_table_id,
        source_row,
        person_key,
        sex as sex_code,
        cast(birth_year as integer) as birth_year,
        category as category_code,
        rank as local_rank,
        service as service_code,
        unit as unit_name,
        command_level as command_level_code,
        cast(entry_date as date) as entry_date
    from source

)

select * from renamed
