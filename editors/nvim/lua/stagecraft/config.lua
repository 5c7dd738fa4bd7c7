-- The options of require('stagecraft').setup{}: defaults, validation and the current values.

local util = require('stagecraft.util')

local M = {}

---@class stagecraft.Settings
---@field targets string[]|string the targets in play (one may be given alone); a stage none of them builds is reported unused
---@field buildArgs table<string,string> resolves FROM lines as --build-arg would; added to `docker build`
---@field severities table<string,string> severity per diagnostic code ("error"|"warning"|"info"|"hint")
---@field buildContext string|nil the build context whose .dockerignore CopyIgnoredFile reads: absolute, or relative to the Dockerfile's folder (nil: that folder)
---@field platform string|nil the target platform (`docker build --platform`, e.g. "linux/arm64" or "local"; nil: linux/amd64): the TARGET* ARGs and the OS of stages without their own; added to `docker build`
---@field namedContexts table<string,string> named build contexts (`--build-context NAME=VALUE`) by name: the stages and images they replace change the analysis; added to `docker build` (a name alone, as a list item or with '', for the analysis only)

M.default_keymaps = {
  targets = '<leader>st',
  graph = '<leader>sg',
  codelens = '<leader>sl',
}

M.defaults = {
  cmd = { 'stagecraft', 'lsp' },
  -- false: don't start the server (nvim-lspconfig or vim.lsp.enable does); the commands and the
  -- code lens command still work with any client named "stagecraft".
  autostart = true,
  filetypes = { 'dockerfile' },
  -- Detect Containerfile, *.Dockerfile, *.dockerfile, *.Containerfile, Dockerfile.*, Containerfile.* as dockerfile.
  detect_filetypes = true,
  -- function(fname, bufnr) -> string|nil; nil: the nearest folder holding a root marker, else
  -- the file's folder.
  root_dir = nil,
  root_markers = { '.git' },
  settings = { targets = {}, buildArgs = {}, severities = {}, namedContexts = {} },
  on_attach = nil,
  capabilities = nil,
  codelens = false,
  keymaps = false,
  -- Where :StagecraftGraph writes SVG files (nil: Neovim's temporary folder).
  graph_dir = nil,
  -- How :StagecraftGraph opens an SVG: nil (vim.ui.open on 0.10+, else xdg-open or open), a
  -- program name, an argv list (the path is appended), a function(path), or false (don't).
  open_cmd = nil,
}

local current = vim.deepcopy(M.defaults)

-- The keys setup{} and its `settings` know (some options default to nil, absent from defaults).
M.option_names = {
  'cmd', 'autostart', 'filetypes', 'detect_filetypes', 'root_dir', 'root_markers', 'settings', 'on_attach',
  'capabilities', 'codelens', 'keymaps', 'graph_dir', 'open_cmd',
}
M.setting_names = { 'targets', 'buildArgs', 'severities', 'buildContext', 'namedContexts', 'platform' }

--- The edit distance of two strings, ignoring case.
local function distance(a, b)
  a, b = a:lower(), b:lower()
  local prev = {}
  for j = 0, #b do
    prev[j] = j
  end
  for i = 1, #a do
    local cur = { [0] = i }
    for j = 1, #b do
      local cost = a:sub(i, i) == b:sub(j, j) and 0 or 1
      cur[j] = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
    end
    prev = cur
  end
  return prev[#b]
end

--- Says which keys of `t` are none of `known` (a typo such as `codelense` is otherwise silently
--- ignored), with the closest known key when one is close.
---@param t table
---@param known string[]
---@param what string "option" or "setting"
---@param help string the help tag listing them
---@return string[] warnings
local function unknown_keys(t, known, what, help)
  local warnings = {}
  local keys = vim.tbl_keys(t)
  table.sort(keys, function(x, y)
    return tostring(x) < tostring(y)
  end)
  for _, key in ipairs(keys) do
    if type(key) == 'string' and not vim.tbl_contains(known, key) then
      local best, best_d
      for _, name in ipairs(known) do
        local d = distance(key, name)
        if not best_d or d < best_d then
          best, best_d = name, d
        end
      end
      local hint = best_d <= math.max(2, math.floor(#key / 3)) and ('did you mean `%s`?'):format(best)
        or ('see :help %s'):format(help)
      table.insert(warnings, ('unknown %s `%s`, ignored (%s)'):format(what, key, hint))
    elseif type(key) ~= 'string' then
      table.insert(warnings, ('unknown %s %s, ignored (see :help %s)'):format(what, vim.inspect(key), help))
    end
  end
  return warnings
end

--- Warnings for the keys of `opts` (and of its `settings`) that no option or setting has.
---@param opts table
---@return string[]
function M.unknown_options(opts)
  local warnings = unknown_keys(opts, M.option_names, 'option', 'stagecraft-options')
  if type(opts.settings) == 'table' then
    vim.list_extend(warnings, M.unknown_settings(opts.settings))
  end
  return warnings
end

--- Warnings for the keys of `settings` that no setting has.
---@param settings table
---@return string[]
function M.unknown_settings(settings)
  return unknown_keys(settings, M.setting_names, 'setting', 'stagecraft-opt-settings')
end

--- Settings as the server reads them: strings only, and maps that encode as JSON objects even
--- when empty (an empty Lua table encodes as `[]`; the server accepts that too, older ones did not).
---@param s table|nil
---@return stagecraft.Settings
function M.normalize_settings(s)
  s = s or {}
  local out = { targets = {}, buildArgs = vim.empty_dict(), severities = vim.empty_dict(), namedContexts = vim.empty_dict() }
  -- One target may be given alone, as the server and VS Code take it.
  local targets = type(s.targets) == 'string' and { s.targets } or s.targets or {}
  for _, t in ipairs(targets) do
    table.insert(out.targets, tostring(t))
  end
  for k, v in pairs(s.buildArgs or {}) do
    out.buildArgs[tostring(k)] = tostring(v)
  end
  for k, v in pairs(s.severities or {}) do
    out.severities[tostring(k)] = tostring(v)
  end
  -- Named contexts by name; a list item is a name alone (no value), as the server and VS Code take it.
  for k, v in pairs(s.namedContexts or {}) do
    if type(k) == 'number' then
      local name = tostring(v)
      out.namedContexts[name] = out.namedContexts[name] or ''
    else
      out.namedContexts[tostring(k)] = tostring(v)
    end
  end
  if s.buildContext ~= nil and s.buildContext ~= '' then
    out.buildContext = tostring(s.buildContext)
  end
  if s.platform ~= nil and vim.trim(tostring(s.platform)) ~= '' then
    out.platform = vim.trim(tostring(s.platform))
  end
  return out
end

--- vim.validate's message without the "file:line:" of the caller.
local function message(err)
  return (tostring(err):gsub('^[^\n]-:%d+: ', ''))
end

--- Raises an error naming the first entry of list `t` that is not a (non-empty) string:
--- `filetypes[2]: expected a non-empty string, got number`. (Neovim 0.7 crashed on a number among the
--- filetypes of an autocommand.)
---@param name string
---@param t table|nil
local function strings(name, t)
  for i, v in ipairs(t or {}) do
    if type(v) ~= 'string' or v == '' then
      error(('%s[%d]: expected a non-empty string, got %s'):format(name, i, v == '' and "''" or type(v)), 0)
    end
  end
end

--- Raises an error naming the first value of map `t` that is no string, number or boolean, or
--- a list where a map of NAME = value belongs.
---@param name string
---@param t table|nil
---@param example string
local function values(name, t, example)
  if t and #t > 0 then
    error(('%s: expected NAME = value pairs, got a list (write %s)'):format(name, example), 0)
  end
  for k, v in pairs(t or {}) do
    if not vim.tbl_contains({ 'string', 'number', 'boolean' }, type(v)) then
      error(('%s.%s: expected a string, got %s'):format(name, tostring(k), type(v)), 0)
    end
  end
end

--- Raises an error naming the first setting of the wrong type.
---@param s table
function M.validate_settings(s)
  util.validate('settings', s, 'table')
  util.validate('settings.targets', s.targets, { 'table', 'string' }, true)
  util.validate('settings.buildArgs', s.buildArgs, 'table', true)
  util.validate('settings.severities', s.severities, 'table', true)
  util.validate('settings.buildContext', s.buildContext, 'string', true)
  util.validate('settings.namedContexts', s.namedContexts, 'table', true)
  util.validate('settings.platform', s.platform, 'string', true)
  if type(s.targets) == 'table' then
    strings('settings.targets', s.targets)
  end
  values('settings.buildArgs', s.buildArgs, "{ GO_VERSION = '1.23' }")
  values('settings.severities', s.severities, "{ FromAsCasing = 'error' }")
  -- (A list of names is taken: names without values.)
  for k, v in pairs(s.namedContexts or {}) do
    if type(v) ~= 'string' then
      error(('settings.namedContexts.%s: expected a string, got %s'):format(tostring(k), type(v)), 0)
    end
  end
end

local function validate(opts)
  util.validate('opts', opts, 'table')
  util.validate('cmd', opts.cmd, { 'table', 'string' }, true)
  util.validate('autostart', opts.autostart, 'boolean', true)
  util.validate('filetypes', opts.filetypes, 'table', true)
  util.validate('detect_filetypes', opts.detect_filetypes, 'boolean', true)
  util.validate('root_dir', opts.root_dir, 'function', true)
  util.validate('root_markers', opts.root_markers, 'table', true)
  util.validate('settings', opts.settings, 'table', true)
  util.validate('on_attach', opts.on_attach, 'function', true)
  util.validate('capabilities', opts.capabilities, 'table', true)
  util.validate('codelens', opts.codelens, 'boolean', true)
  util.validate('keymaps', opts.keymaps, { 'boolean', 'table' }, true)
  util.validate('graph_dir', opts.graph_dir, 'string', true)
  util.validate('open_cmd', opts.open_cmd, { 'string', 'table', 'function', 'boolean' }, true)
  M.validate_settings(opts.settings or {})
  if opts.cmd == '' or (type(opts.cmd) == 'table' and #opts.cmd == 0) then
    error("cmd: expected the server's program (a path or a name on PATH), got nothing", 0)
  end
  if type(opts.cmd) == 'table' then
    strings('cmd', opts.cmd)
  end
  strings('filetypes', opts.filetypes)
  strings('root_markers', opts.root_markers)
  if type(opts.keymaps) == 'table' then
    for k, v in pairs(opts.keymaps) do
      if M.default_keymaps[k] == nil then
        error(('keymaps.%s: no such key map (the keys are targets, graph and codelens)'):format(tostring(k)), 0)
      end
      if not (type(v) == 'string' and v ~= '') and v ~= false then
        error(('keymaps.%s: expected the keys to map, such as %s, or false, got %s'):format(k, vim.inspect(M.default_keymaps[k]), type(v)), 0)
      end
    end
  end
  if opts.open_cmd == true then
    error('open_cmd: expected a program, an argv list, a function or false, got true', 0)
  end
end

--- Validates `opts` and makes them current (merged over the defaults). Unknown keys are no
--- error: they come back as warnings.
---@param opts table|nil
---@return boolean ok, string|nil err, string[] warnings
function M.set(opts)
  opts = opts or {}
  local ok, err = pcall(validate, opts)
  if not ok then
    M.setup_error = message(err)
    return false, message(err), {}
  end
  M.setup_error = nil
  local warnings = M.unknown_options(opts)
  local merged = vim.tbl_extend('force', vim.deepcopy(M.defaults), opts)
  if type(merged.cmd) == 'string' then
    merged.cmd = { merged.cmd, 'lsp' }
  end
  merged.settings = M.normalize_settings(opts.settings)
  if merged.keymaps == true then
    merged.keymaps = vim.deepcopy(M.default_keymaps)
  end
  current = merged
  return true, nil, warnings
end

--- The current options.
function M.get()
  return current
end

--- Replaces some settings (a shallow merge: `{buildArgs = {...}}` replaces all the build args).
---@param partial table
---@return boolean ok, string|nil err (the settings stay as they were on an error), string[] warnings
function M.update_settings(partial)
  local ok, err = pcall(M.validate_settings, partial)
  if not ok then
    return false, message(err), {}
  end
  local s = vim.tbl_extend('force', current.settings, partial)
  current.settings = M.normalize_settings(s)
  return true, nil, M.unknown_settings(partial)
end

return M
