-- :StagecraftTargets: the build targets from `stagecraft/targets` in vim.ui.select, then copy or
-- run `docker build --target NAME -f FILE CONTEXT` (CONTEXT: the Dockerfile's folder, or the
-- buildContext setting's).

local server = require('stagecraft.server')
local util = require('stagecraft.util')

local M = {}

---@class stagecraft.Target
---@field name string|nil nil for an unnamed (default) last stage
---@field stage integer
---@field description string|nil
---@field isDefault boolean
---@field line integer 0-based line of the FROM
---@field builds integer how many stages BuildKit builds for it
---@field legacyBuilds integer how many the legacy builder builds
---@field legacyFails {message: string, line: integer}|nil where the legacy builder fails of its own accord (0-based line)
---@field fails {message: string, line: integer|nil}|nil BuildKit's error when the build is known to fail (0-based line)
---@field buildkit {stages: string[], waves: string[][], inCycle: string[]|nil, images: string[]}|nil absent when the result is not `detailed`
---@field legacy string[]|nil

--- The name shown for a target: its stage name, or `stage-N` for an unnamed stage.
---@param t stagecraft.Target
function M.label(t)
  return util.str(t.name) or ('stage-' .. t.stage)
end

--- "name (default) — description · builds N stages" ("· build fails (line L)" when the server
--- knows the build fails)
---@param t stagecraft.Target
function M.format(t)
  local text = M.label(t)
  if t.isDefault then
    text = text .. ' (default)'
  end
  local description = util.str(t.description)
  if description and description ~= '' then
    text = text .. ' — ' .. description
  end
  if type(t.fails) == 'table' then
    local line = tonumber(t.fails.line)
    return text .. (line and (' · build fails (line %d)'):format(line + 1) or ' · build fails')
  end
  local n = t.builds or #((t.buildkit or {}).stages or {})
  return ('%s · builds %d stage%s'):format(text, n, n == 1 and '' or 's')
end

--- `docker build [--target NAME] [--platform P] [--build-arg K=V]... [--build-context NAME=VALUE]... -f FILE CONTEXT`,
--- quoted for the shell, the build args and the named contexts each sorted by name. A named
--- context without a value (a name alone, for the analysis) has nothing to pass and is left out.
--- An unnamed default target has no name to pass: docker builds the last stage without --target.
---@param t stagecraft.Target
---@param file string the Dockerfile, as the shell will see it from the build context
---@param build_args table<string,string>|nil
---@param context string|nil the build context as the shell will see it (nil: `.`; `act` passes
---  the Dockerfile's folder, see `context_for`)
---@param named_contexts table<string,string>|nil
---@param platform string|nil the target platform (`linux/arm64`)
---@return string
function M.build_command(t, file, build_args, context, named_contexts, platform)
  local words = { 'docker', 'build' }
  local name = util.str(t.name)
  if name then
    vim.list_extend(words, { '--target', name })
  end
  if type(platform) == 'string' and platform ~= '' then
    vim.list_extend(words, { '--platform', platform })
  end
  build_args = build_args or {}
  local keys = vim.tbl_keys(build_args)
  table.sort(keys)
  for _, k in ipairs(keys) do
    vim.list_extend(words, { '--build-arg', k .. '=' .. build_args[k] })
  end
  local names = {}
  for k, v in pairs(named_contexts or {}) do
    if type(k) == 'string' and k ~= '' and (type(v) == 'string' or type(v) == 'number') and tostring(v) ~= '' then
      table.insert(names, k)
    end
  end
  table.sort(names)
  for _, k in ipairs(names) do
    vim.list_extend(words, { '--build-context', k .. '=' .. tostring(named_contexts[k]) })
  end
  vim.list_extend(words, { '-f', file, context or '.' })
  return table.concat(vim.tbl_map(util.shell_quote, words), ' ')
end

--- The target called `name` (a stage name, matched ignoring case as `--target` is, `stage-N`
--- or `#N`) or building stage `stage`.
local function find(targets, name, stage)
  local lower = name and name:lower()
  for _, t in ipairs(targets) do
    if stage and t.stage == stage then
      return t
    end
    if lower and (M.label(t):lower() == lower or ('#' .. t.stage) == name) then
      return t
    end
  end
  return nil
end

local function copy(command)
  vim.fn.setreg('"', command)
  local where = 'the unnamed register'
  if vim.fn.has('clipboard') == 1 and pcall(vim.fn.setreg, '+', command) then
    where = 'the clipboard'
  end
  util.notify(('copied to %s: %s'):format(where, command))
end

local function run(command, cwd)
  vim.cmd('botright new')
  if util.has('0.11') then
    vim.fn.jobstart(command, { term = true, cwd = cwd })
  else
    vim.fn.termopen(command, { cwd = cwd })
  end
  vim.cmd('startinsert')
end

--- Writes `bufnr` (`:update`), saying why when it can't.
---@return boolean written
local function write(bufnr)
  local ok, err = pcall(vim.api.nvim_buf_call, bufnr, function()
    vim.cmd('silent update')
  end)
  if not ok or vim.bo[bufnr].modified then
    -- The editor's message alone: on 0.7 the error comes back with a Lua stack trace after it.
    local why = err and tostring(err):match('^[^\n]*'):gsub('^.-Vim%(%a+%):', '') or 'still modified'
    util.error(('could not write %s: %s'):format(vim.fn.fnamemodify(vim.api.nvim_buf_get_name(bufnr), ':.'), why))
    return false
  end
  return true
end

--- "Copy command": with unsaved changes, says that the command builds the file on disk.
local function copy_command(command, _, bufnr, file)
  copy(command)
  if vim.bo[bufnr].modified then
    util.warn(('%s has unsaved changes: docker build reads the file on disk, so write it before you run '
      .. 'the command'):format(file))
  end
end

local function write_then_run(command, cwd, bufnr)
  if write(bufnr) then
    run(command, cwd)
  end
end

-- What to do with the command. docker build reads the Dockerfile on disk: with unsaved changes,
-- running offers to write the file first, or to run the saved one as it is (`unsaved`: offered
-- only then; `saved`: only without).
local actions = {
  { label = 'Copy command', run = copy_command },
  { label = 'Run in terminal', saved = true, run = run },
  { label = 'Write the file, then run in terminal', unsaved = true, run = write_then_run },
  { label = 'Run in terminal without the unsaved changes', unsaved = true, run = run },
}

--- The build context of the command, as the shell sees it from the current folder: the one the
--- settings name (`buildContext`: absolute, or relative to the Dockerfile's folder), else the
--- Dockerfile's folder; where the server read `.dockerignore` for CopyIgnoredFile either way.
--- `.` for the current folder itself.
---@param path string the Dockerfile
---@param configured string|nil the buildContext setting
---@return string
function M.context_for(path, configured)
  local dir = vim.fn.fnamemodify(path, ':p:h')
  if configured and configured ~= '' then
    dir = configured:sub(1, 1) == '/' and configured or (dir .. '/' .. configured)
  end
  dir = vim.fn.simplify(dir)
  local context = vim.fn.fnamemodify(dir, ':.')
  if context == '' or vim.fn.fnamemodify(context, ':p') == vim.fn.fnamemodify(vim.fn.getcwd(), ':p') then
    return '.'
  end
  return (context:gsub('(.)/$', '%1'))
end

--- Offers the actions for a chosen target.
---@param bufnr integer
---@param t stagecraft.Target
function M.act(bufnr, t)
  local path = vim.api.nvim_buf_get_name(bufnr)
  local file = vim.fn.fnamemodify(path, ':.')
  local cwd = vim.fn.getcwd()
  local client = server.client_for(bufnr)
  local context = M.context_for(path, server.build_context(client))
  local command =
    M.build_command(t, file, server.build_args(client), context, server.named_contexts(client), server.platform(client))
  local unsaved = vim.bo[bufnr].modified
  local offered = vim.tbl_filter(function(a)
    return not (unsaved and a.saved or not unsaved and a.unsaved)
  end, actions)
  local prompt = ('Target %s: %s'):format(M.label(t), command)
  if unsaved then
    prompt = ('%s (%s has unsaved changes; docker build reads the file on disk)'):format(prompt, file)
  end
  vim.ui.select(offered, {
    prompt = prompt,
    format_item = function(a)
      return a.label
    end,
    kind = 'stagecraft.action',
  }, function(action)
    if action then
      action.run(command, cwd, bufnr, file)
    end
  end)
end

--- Asks the server for the targets of a buffer.
---@param bufnr integer
---@param callback fun(targets: stagecraft.Target[])
function M.fetch(bufnr, callback)
  local client = server.ready_client(bufnr)
  if not client then
    server.explain_missing_client(bufnr)
    return
  end
  local params = { textDocument = { uri = vim.uri_from_bufnr(bufnr) } }
  util.request(client, 'stagecraft/targets', params, function(err, result)
    if err then
      util.error('could not list the targets: ' .. (err.message or tostring(err)))
      return
    end
    callback(result and result.targets or {})
  end, bufnr)
end

--- Target names for command-line completion (asks the server, waiting at most a second).
---@param bufnr integer
---@return string[]
function M.names(bufnr)
  local client = server.client_for(bufnr)
  if not client then
    return {}
  end
  local params = { textDocument = { uri = vim.uri_from_bufnr(bufnr) } }
  local res = util.request_sync(client, 'stagecraft/targets', params, 1000, bufnr)
  local names = {}
  for _, t in ipairs(res and res.result and res.result.targets or {}) do
    -- `#N` for a stage without a name: both commands and the server take it.
    table.insert(names, util.str(t.name) or ('#' .. t.stage))
  end
  return names
end

--- The picker: targets, then what to do with the build command.
---@param opts {bufnr: integer|nil, name: string|nil, stage: integer|nil}
---  `name` or `stage` skip the first picker (code lenses pass the stage index).
function M.pick(opts)
  opts = opts or {}
  local bufnr = opts.bufnr or vim.api.nvim_get_current_buf()
  if bufnr == 0 then
    bufnr = vim.api.nvim_get_current_buf()
  end
  M.fetch(bufnr, function(targets)
    local file = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(bufnr), ':t')
    if #targets == 0 then
      util.notify(file .. ' has no stage to build')
      return
    end
    if opts.name or opts.stage then
      local t = find(targets, opts.name, opts.stage)
      if t then
        return M.act(bufnr, t)
      end
      if opts.name then
        local names = vim.tbl_map(M.label, targets)
        util.error(('%s has no target %s (targets: %s)'):format(file, opts.name, table.concat(names, ', ')))
        return
      end
      -- A code lens of a stage that is no target (an unnamed stage before the last): the
      -- whole list, as in VS Code.
    end
    vim.ui.select(targets, {
      prompt = ('Build target of %s:'):format(file),
      format_item = M.format,
      kind = 'stagecraft.target',
    }, function(t)
      if t then
        M.act(bufnr, t)
      end
    end)
  end)
end

return M
