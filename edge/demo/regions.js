// The region selector: the regions of the relays connected right now (from /health), plus "nearest"
// (the server picks from where the request comes from). A client's region decides which relay
// carries its media; a region without relays falls back to the least loaded relay anywhere.

function addOption(select, value) {
  if ([...select.options].some((o) => o.value === value)) return;
  const option = document.createElement('option');
  option.value = value;
  option.textContent = value;
  select.append(option);
}

/** Fills `select` with the connected relays' regions; `preferred` (e.g. from `?region=`) is kept selected. */
export async function fillRegions(select, preferred) {
  if (preferred) {
    addOption(select, preferred);
    select.value = preferred;
  }
  let relays = [];
  try {
    const res = await fetch('/health');
    if (res.ok) relays = (await res.json()).relays ?? [];
  } catch {
    // Without the list the page still works: "nearest", or the region from the URL.
  }
  const regions = [...new Set(relays.map((r) => r.region).filter((r) => typeof r === 'string'))].sort();
  for (const region of regions) addOption(select, region);
  // Sorted after "nearest", keeping what is selected (the person may have picked one meanwhile).
  const chosen = select.value;
  select.append(...[...select.options].slice(1).sort((a, b) => a.value.localeCompare(b.value)));
  select.value = chosen;
}
