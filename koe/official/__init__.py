"""Official blogs of famous people: applications, staff review, badges and the directory."""
