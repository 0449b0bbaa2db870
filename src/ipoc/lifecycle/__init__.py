"""The orchestration layer: the steps of a center's life that span several domains (shortlist, publish the notice
and recognise, in ``recognition``; the yearly self-evaluation and its figures and the performance evaluation on a
panel's results, in ``cycle``; the national ranking on the deal ledger, in ``ranking``; the decisions that recount
the procedure, in ``decisions``). It sits above the domains and below the app shell: no domain service imports
it; the pages and the API of a domain, and the demo data, call it.
"""
