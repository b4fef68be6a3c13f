select command_level_code, command_level_name, command_level_order, is_decision_making from {{ ref('command_levels') }}
