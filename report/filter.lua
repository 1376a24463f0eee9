--[[
report/filter.lua: turn executed notebooks into report prose.

pandoc's ipynb reader wraps every cell in a Div (classes "cell markdown" or
"cell code"), every output in a Div ("output display_data" ...), and keeps
text/markdown outputs as RawBlock "markdown", which the HTML writer would drop.
This filter, in document order:
  * unwraps cell and output divs (so headings are top-level and the TOC nests),
  * drops code cells' source, stream output (stdout/stderr) and errors,
  * parses text/markdown outputs as Markdown,
  * reads the report's tables (raw HTML blocks `<table class="cse-table">` written by
    report.table_html, every cell already escaped) with pandoc's HTML reader, so each cell is
    plain text and can never become markup (ADR 0010),
  * turns an image whose attributes carry `caption` (report.figure) into a figure,
  * numbers figures and captioned tables ("Figure 3:", "Table 2:") across the whole report,
  * makes header ids unique (a repeated title gets its section's id in front).
]]

local n_fig, n_tab = 0, 0

local function has(el, class)
  return el.classes and el.classes:includes(class)
end

local function label(kind, n)
  return pandoc.Span({ pandoc.Str(kind .. " " .. n .. ":"), pandoc.Space() }, { class = "caption-label" })
end

local process

local function number_table(tbl)
  local long = tbl.caption.long
  if #long > 0 and long[1].content then
    n_tab = n_tab + 1
    long[1].content:insert(1, label("Table", n_tab))
    tbl.caption.long = long
    tbl.identifier = tbl.identifier ~= "" and tbl.identifier or ("tbl-" .. n_tab)
  end
  return tbl
end

local function captioned_figure(img)
  local cap = img.attributes["caption"]
  img.attributes["caption"] = nil
  n_fig = n_fig + 1
  local inl = pandoc.utils.blocks_to_inlines(pandoc.read(cap, "markdown").blocks)
  img.caption = pandoc.Inlines(pandoc.utils.stringify(inl))   -- alt text
  local caption = pandoc.Inlines({ label("Figure", n_fig) })
  caption:extend(inl)
  return pandoc.Figure({ pandoc.Plain({ img }) }, { pandoc.Plain(caption) }, { id = "fig-" .. n_fig })
end

local function number_figure(fig)
  n_fig = n_fig + 1
  local long = fig.caption.long
  if #long > 0 and long[1].content then
    long[1].content:insert(1, label("Figure", n_fig))
    fig.caption.long = long
  end
  if fig.identifier == "" then fig.identifier = "fig-" .. n_fig end
  return fig
end

-- The reader keeps every MIME alternative of an output (pandoc picks one only after the
-- filters run, and only inside output divs, which we unwrap): pick one here, in this order.
local function rank(c)
  if c.t == "Para" and #c.content == 1 and c.content[1].t == "Image" then return 1 end
  if c.t == "RawBlock" and c.format == "html" then return 2 end
  if c.t == "RawBlock" and (c.format == "markdown" or c.format == "md") then return 3 end
  if c.t == "CodeBlock" then return 5 end
  if c.t == "RawBlock" then return 9 end   -- latex and other formats HTML cannot show
  return 4
end

function best_output(blocks)
  local best, best_rank = nil, 99
  for _, c in ipairs(blocks) do
    local r = rank(c)
    if r < best_rank then best, best_rank = c, r end
  end
  if best == nil or best_rank == 9 then return pandoc.Blocks({}) end
  return pandoc.Blocks({ best })
end

process = function(blocks)
  local out = pandoc.Blocks({})
  for _, b in ipairs(blocks) do
    if b.t == "Div" and has(b, "cell") then
      local kids = pandoc.Blocks({})
      for _, c in ipairs(b.content) do
        -- a code cell's source is a CodeBlock directly inside the cell div; outputs are divs
        if not (has(b, "code") and c.t == "CodeBlock") then kids:insert(c) end
      end
      out:extend(process(kids))
    elseif b.t == "Div" and has(b, "output") then
      if not (has(b, "stream") or has(b, "error")) then
        out:extend(process(best_output(b.content)))
      end
    elseif b.t == "RawBlock" and (b.format == "markdown" or b.format == "md") then
      out:extend(process(pandoc.read(b.text, "markdown").blocks))
    elseif b.t == "RawBlock" and b.format == "html" and b.text:match('^%s*<table class="cse%-table"') then
      -- "html" without +raw_html: anything that is not a table element is dropped, never passed on
      out:extend(process(pandoc.read(b.text, "html-raw_html").blocks))
    elseif b.t == "Para" and #b.content == 1 and b.content[1].t == "Image"
        and b.content[1].attributes["caption"] then
      out:insert(captioned_figure(b.content[1]))
    elseif b.t == "Figure" then
      out:insert(number_figure(b))
    elseif b.t == "Table" then
      out:insert(number_table(b))
    elseif b.t == "Div" then
      b.content = process(b.content)
      out:insert(b)
    else
      out:insert(b)
    end
  end
  return out
end

-- Headers of different sections can share a title ("Exclusions" in the notebooks and in the
-- appendix), and pandoc would give both the same id, so a TOC link could jump to the wrong one.
-- A repeated id gets its level-1 section's id in front ("appendix-exclusions"), then a number.
local function unique_ids(blocks)
  local seen, top = {}, ""
  for _, b in ipairs(blocks) do
    if b.t == "Header" and b.identifier ~= "" then
      local id = b.identifier
      if seen[id] then
        local base = (b.level > 1 and top ~= "") and (top .. "-" .. id) or id
        id = base
        local k = 2
        while seen[id] do id = base .. "-" .. k; k = k + 1 end
        b.identifier = id
      end
      seen[id] = true
      if b.level == 1 then top = id end
    end
  end
  return blocks
end

function Pandoc(doc)
  doc.blocks = unique_ids(process(doc.blocks))
  return doc
end
