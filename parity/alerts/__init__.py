"""Messages to people: focal points (deliveries, reminders, overdue notices) and data engineers
(failed runs). Every message goes through the outbox in the warehouse: logged, sent, retried."""
