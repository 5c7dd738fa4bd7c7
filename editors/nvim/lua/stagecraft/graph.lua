-- :StagecraftGraph: the stage graph as an SVG file (opened in the viewer), or as Mermaid or DOT
-- text. It asks the server (`stagecraft/stageGraph`), else runs `stagecraft graph`.

local config = require('stagecraft.config')
local server = require('stagecraft.server')
local util = require('stagecraft.util')

local M = {}

M.formats = { 'svg', 'mermaid', 'dot' }

local METHOD_NOT_FOUND = -32601

local function start_detached(argv)
  local ok, id = pcall(vim.fn.jobstart, argv, { detach = true })
  if not ok or id <= 0 then
    util.error(('could not run %s'):format(table.concat(argv, ' ')))
  end
end

--- Opens `path` as `open_cmd` says.
local function open(path)
  local open_cmd = config.get().open_cmd
  if open_cmd == false then
    return
  elseif type(open_cmd) == 'function' then
    open_cmd(path)
  elseif type(open_cmd) == 'string' then
    start_detached({ open_cmd, path })
  elseif type(open_cmd) == 'table' then
    local argv = vim.deepcopy(open_cmd)
    table.insert(argv, path)
    start_detached(argv)
  elseif vim.ui.open then
    local _, err = vim.ui.open(path)
    if err then
      util.warn(('could not open %s: %s (set open_cmd)'):format(path, err))
    end
  else
    for _, program in ipairs({ 'xdg-open', 'open', 'wslview' }) do
      if vim.fn.executable(program) == 1 then
        return start_detached({ program, path })
      end
    end
    util.warn('no program to open ' .. path .. ' with (set open_cmd in setup{})')
  end
end

--- The folder SVG files go to.
local function graph_dir()
  local dir = config.get().graph_dir
  if dir then
    dir = vim.fn.expand(dir)
  else
    dir = vim.fn.fnamemodify(vim.fn.tempname(), ':h')
  end
  -- (A folder that cannot be made is said by the write below, with the option that names it.)
  pcall(vim.fn.mkdir, dir, 'p')
  return dir
end

--- A file name's part for `text`: letters, digits and `.` as they are, `/` as `-`, and every other
--- byte as `_` and its two hex digits, so that two paths never share one (`a-b/Dockerfile` and
--- `a/b/Dockerfile`, `a b/` and `a_b/`, `ü/` and `é/`).
local function encode(text)
  return (text:gsub('[^%w.]', function(c)
    return c == '/' and '-' or ('_%02x'):format(c:byte())
  end))
end

--- The name an SVG file takes after the Dockerfile `fname`: its path from the current folder (from
--- the home folder, `~/...`, else absolute, outside it), encoded as above.
---@param fname string
---@return string
function M.file_stem(fname)
  if fname == '' then
    return 'Dockerfile'
  end
  return encode(vim.fn.fnamemodify(fname, ':~:.'))
end

local function deliver(bufnr, opts, text)
  local fname = vim.api.nvim_buf_get_name(bufnr)
  local base = vim.fn.fnamemodify(fname, ':t')
  if base == '' then
    base = 'Dockerfile'
  end
  -- (`@`, which a path's part never holds: `Dockerfile` for target `x` is not `Dockerfile/x`.)
  local suffix = opts.target and ('@' .. encode(opts.target)) or ''
  local what = base .. (opts.target and (' (target ' .. opts.target .. ')') or '')

  if opts.format == 'svg' then
    local path = ('%s/stagecraft-%s%s.svg'):format(graph_dir(), M.file_stem(fname), suffix)
    local f, err = io.open(path, 'wb')
    if not f then
      local hint = config.get().graph_dir and ' (the folder is the `graph_dir` option)' or ''
      util.error(('could not write the graph: %s%s'):format(err, hint))
      return
    end
    f:write(text)
    f:close()
    util.notify(('stage graph of %s: %s'):format(what, path))
    open(path)
    return path
  end

  if opts.print then
    vim.api.nvim_echo({ { text } }, true, {})
    return text
  end
  local ext = opts.format == 'mermaid' and 'mmd' or 'dot'
  util.scratch(text, {
    name = ('stagecraft://%s%s.%s'):format(base, suffix, ext),
    filetype = opts.format,
  })
  util.notify(('%s stage graph of %s'):format(opts.format == 'mermaid' and 'Mermaid' or 'DOT', what))
  return text
end

--- `stagecraft graph FILE --format F [--target T] [--platform P] [--build-arg K=V]... [--build-context NAME]...`;
--- an unsaved buffer is written to a temporary file first.
local function from_cli(bufnr, opts)
  local cmd, reason = server.resolve_cmd(config.get().cmd)
  if not cmd then
    util.error(server.missing_message(reason))
    return
  end
  local file = vim.api.nvim_buf_get_name(bufnr)
  if file == '' or vim.bo[bufnr].modified or vim.fn.filereadable(file) ~= 1 then
    local tmp_dir = vim.fn.tempname()
    vim.fn.mkdir(tmp_dir, 'p')
    file = tmp_dir .. '/' .. (file ~= '' and vim.fn.fnamemodify(file, ':t') or 'Dockerfile')
    vim.fn.writefile(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), file)
  end
  local argv = { cmd[1], 'graph', file, '--format', opts.format }
  if opts.target then
    vim.list_extend(argv, { '--target', opts.target })
  end
  local platform = config.get().settings.platform
  if type(platform) == 'string' and platform ~= '' then
    vim.list_extend(argv, { '--platform', platform })
  end
  local build_args = config.get().settings.buildArgs
  local keys = vim.tbl_keys(build_args)
  table.sort(keys)
  for _, k in ipairs(keys) do
    vim.list_extend(argv, { '--build-arg', k .. '=' .. build_args[k] })
  end
  -- NAME=VALUE, as buildx takes them (the settings are normalised: a name alone has '').
  local contexts = {}
  for name, value in pairs(config.get().settings.namedContexts or {}) do
    if name ~= '' then
      table.insert(contexts, name .. '=' .. value)
    end
  end
  table.sort(contexts)
  for _, context in ipairs(contexts) do
    vim.list_extend(argv, { '--build-context', context })
  end
  -- (With a time limit: a program that is not stagecraft may wait for input forever.)
  local out, code, err = util.run(argv, 30000)
  if code == nil then
    util.error(('`%s graph` did not finish in 30 s (is `cmd` the stagecraft binary?)'):format(cmd[1]))
    return
  elseif code ~= 0 then
    util.error(('`stagecraft graph` failed: %s'):format(vim.trim(err ~= '' and err or out)))
    return
  elseif out == '' then
    util.error(('`%s graph` printed nothing (is `cmd` the stagecraft binary?)'):format(cmd[1]))
    return
  end
  return deliver(bufnr, opts, out)
end

--- Shows the stage graph of a buffer.
---@param opts {bufnr: integer|nil, format: string|nil, target: string|nil, print: boolean|nil}
---  format: "svg" (default), "mermaid" or "dot"; target: a stage name (nil: the default target);
---  print: echo Mermaid/DOT text instead of opening a scratch buffer.
function M.show(opts)
  opts = vim.tbl_extend('force', { format = 'svg' }, opts or {})
  local bufnr = opts.bufnr or vim.api.nvim_get_current_buf()
  if bufnr == 0 then
    bufnr = vim.api.nvim_get_current_buf()
  end
  if not vim.tbl_contains(M.formats, opts.format) then
    util.error(('unknown graph format "%s" (svg, mermaid or dot)'):format(opts.format))
    return
  end
  local client = server.ready_client(bufnr)
  if not client then
    -- Without the server the CLI draws it, from a buffer that holds a file (any name: a
    -- Dockerfile need not be detected as one), not from a scratch buffer such as a graph's.
    if vim.bo[bufnr].buftype ~= '' then
      return server.explain_missing_client(bufnr)
    end
    -- A server that died: say so (the graph still comes, from the CLI, without the settings
    -- the server had).
    if server.exited(bufnr) then
      server.explain_missing_client(bufnr)
    end
    return from_cli(bufnr, opts)
  end
  local params = { textDocument = { uri = vim.uri_from_bufnr(bufnr) }, target = opts.target }
  util.request(client, 'stagecraft/stageGraph', params, function(err, result)
    if err and err.code == METHOD_NOT_FOUND then
      from_cli(bufnr, opts)
    elseif err then
      util.error('could not draw the stage graph: ' .. (err.message or tostring(err)))
    elseif result and result[opts.format] == vim.NIL and type(result.svgError) == 'string' then
      -- Too large to draw: the SVG alone is missing; DOT and Mermaid still come.
      util.error('could not draw the stage graph: ' .. result.svgError)
    elseif not (result and result[opts.format]) then
      from_cli(bufnr, opts)
    else
      deliver(bufnr, opts, result[opts.format])
    end
  end, bufnr)
end

return M
