-- Cumulative training: for every person who ever completed a gender course (in any reported
-- quarter), the first quarter with any course and the first with the gender_coach course.
-- A person counts as trained in q when the first quarter is q or earlier. Grain: (country_code, person_key).
select
    country_code,
    person_key,
    min({{ period_index('period') }}) as first_training_period_index,
    min(case when course_code = 'gender_coach' then {{ period_index('period') }} end) as first_coach_period_index,
    min(completion_date) as first_completion_date,
    count(*) as courses_completed
from {{ ref('stg_trainings') }}
group by country_code, person_key
