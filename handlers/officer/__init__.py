"""The officers' menu: the to-do list, approving ASNs, recording the BPJS membership (KPJ), statistics."""
