select
    country_code,
    country_name,
    focal_point_language,
    is_region
from {{ ref('countries') }}
