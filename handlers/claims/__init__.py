"""Claims: reporting a death or work accident, the document checklist, following a claim from another chat, further
reporters and withdrawal, officers' decisions (a reported death is accepted or reversed by an officer), what happens
after a death, and the claims' own planning."""
