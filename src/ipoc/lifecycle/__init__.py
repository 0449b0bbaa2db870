"""The orchestration layer: the steps of a center's life that span several domains (the yearly self-evaluation
and its figures, the performance evaluation on a panel's results, the national ranking on the deal ledger, the
decisions that recount the recognition procedure). It sits above the domains and below the app shell: a domain
never imports it; the web routes, the API and the demo data call it.
"""
