-- Staging: rename and cast only. One row per row of the accepted separations table.
with source as (

    select * from {{ source('raw', 'separations') }}

),

renamed as (

    select
        country_code,
        period,
        submission_table_id,
        source_row,
        person_key,
        sex as sex_code,
        category as category_code,
        rank as local_rank,
        cast(exit_date as date) as exit_date,
        reason as reason_code
    from source

)

select * from renamed
