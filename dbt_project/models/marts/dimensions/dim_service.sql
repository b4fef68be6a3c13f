select service_code, service_name from {{ ref('services') }}
