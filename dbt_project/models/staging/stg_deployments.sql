-- Staging: rename and cast only. One row per row of the accepted deployments table.
with source as (

    select * from {{ source('raw', 'deployments') }}

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
        mission as mission_name,
        organization as organization_code,
        role as role_code,
        cast(start_date as date) as start_date,
        cast(end_date as date) as end_date
    from source

)

select * from renamed
