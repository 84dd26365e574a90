"""Jobs, schedules and sensors: what starts runs, and who hears when one fails."""
