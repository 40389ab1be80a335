"""Documents in and out: DOCX templates rendered for plans and reports, and the ND 30 check."""
