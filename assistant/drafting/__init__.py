"""Official social-post drafting: platform rules, grounded multilingual variants, and the
approval workflow (draft → in review → approved / rejected → exported)."""
