-- stagecraft for Neovim: starts `stagecraft lsp` for Dockerfiles and adds :StagecraftTargets,
-- :StagecraftGraph, :StagecraftFixAll and :StagecraftRestart. See :help stagecraft.

local config = require('stagecraft.config')
local server = require('stagecraft.server')
local util = require('stagecraft.util')

local M = {}

local group

-- Filenames that are Dockerfiles beside the `dockerfile` filetype Neovim already knows.
local NAME_PATTERNS =
  { 'Dockerfile', 'Containerfile', '*.Dockerfile', '*.dockerfile', '*.Containerfile', 'Dockerfile.*', 'Containerfile.*' }

--- `Dockerfile.*` and `Containerfile.*`, but not the ignore file BuildKit reads beside a Dockerfile
--- (`Dockerfile.dockerignore`, `Dockerfile.dev.dockerignore`).
local function dockerfile_unless_ignore_file(path)
  if not server.is_dockerignore(path) then
    return 'dockerfile'
  end
end

local function add_filetypes()
  if util.has('0.8') then
    vim.filetype.add({
      -- Above Neovim's own `Dockerfile.*` rule, which takes Dockerfile.dockerignore for a
      -- Dockerfile; gitignore, as Neovim's filetype of `.dockerignore`.
      extension = { dockerignore = 'gitignore' },
      filename = { Dockerfile = 'dockerfile', Containerfile = 'dockerfile' },
      pattern = {
        ['.*%.[Dd]ockerfile'] = 'dockerfile',
        ['.*%.Containerfile'] = 'dockerfile',
        -- Below the other patterns, as Neovim's own rule: Dockerfile.yaml stays YAML.
        ['Dockerfile%..*'] = { dockerfile_unless_ignore_file, { priority = -1 } },
        ['Containerfile%..*'] = { dockerfile_unless_ignore_file, { priority = -1 } },
      },
    })
  else
    vim.api.nvim_create_autocmd({ 'BufRead', 'BufNewFile' }, {
      group = group,
      pattern = NAME_PATTERNS,
      callback = function(args)
        if server.is_dockerignore(args.match) then
          return
        end
        local name = vim.fn.fnamemodify(args.match, ':t')
        if not (name:match('^Dockerfile%.') or name:match('^Containerfile%.')) then
          vim.cmd('setfiletype dockerfile')
          return
        end
        -- `Dockerfile.*` below Neovim's own rules, as 0.8 and later have it (Dockerfile.yaml
        -- stays YAML): once every rule has run (`setup()` in init.lua runs before Neovim
        -- turns detection on, so these would come first), and only if none named a filetype.
        local buf = args.buf
        vim.schedule(function()
          if vim.api.nvim_buf_is_valid(buf) and vim.bo[buf].filetype == '' then
            vim.bo[buf].filetype = 'dockerfile'
          end
        end)
      end,
      desc = 'stagecraft: Dockerfile names',
    })
    -- Neovim 0.7's own `Dockerfile.*` rule has made it a Dockerfile already.
    vim.api.nvim_create_autocmd({ 'BufRead', 'BufNewFile' }, {
      group = group,
      pattern = '*.dockerignore',
      callback = function(args)
        local ft = vim.bo[args.buf].filetype
        if ft == '' or ft == 'dockerfile' then
          vim.bo[args.buf].filetype = 'gitignore'
        end
      end,
      desc = 'stagecraft: Dockerfile.dockerignore is an ignore file, no Dockerfile',
    })
  end
end

--- Neovim 0.7 keeps a renamed buffer (`:saveas`, `:file`) open under its old URI with the
--- server, which then knows no document of the new name: close the old one, open the new.
local function follow_renames()
  local renamed_from = {}
  vim.api.nvim_create_autocmd('BufFilePre', {
    group = group,
    callback = function(args)
      renamed_from[args.buf] = vim.uri_from_bufnr(args.buf)
    end,
    desc = 'stagecraft: the URI a renamed buffer had',
  })
  vim.api.nvim_create_autocmd('BufFilePost', {
    group = group,
    callback = function(args)
      local old, new = renamed_from[args.buf], vim.uri_from_bufnr(args.buf)
      renamed_from[args.buf] = nil
      local client = server.client_for(args.buf)
      if not client or not old or old == new then
        return
      end
      local eol = ({ dos = '\r\n', mac = '\r' })[vim.bo[args.buf].fileformat] or '\n'
      local text = table.concat(vim.api.nvim_buf_get_lines(args.buf, 0, -1, true), eol)
      if vim.bo[args.buf].eol then
        text = text .. eol
      end
      util.notify_server(client, 'textDocument/didClose', { textDocument = { uri = old } })
      util.notify_server(client, 'textDocument/didOpen', {
        textDocument = { uri = new, languageId = 'dockerfile', version = vim.lsp.util.buf_versions[args.buf] or 0, text = text },
      })
    end,
    desc = 'stagecraft: reopen a renamed buffer under its new URI',
  })
end

--- Completion for :StagecraftTargets.
local function complete_targets(lead)
  return vim.tbl_filter(function(name)
    return name:sub(1, #lead) == lead
  end, require('stagecraft.targets').names(vim.api.nvim_get_current_buf()))
end

--- Completion for :StagecraftGraph: a format, then a target.
local function complete_graph(lead, line)
  local words = vim.split(line, '%s+', { trimempty = true })
  local done = #words - (lead ~= '' and 1 or 0) - 1
  local candidates = {}
  if done == 0 then
    vim.list_extend(candidates, require('stagecraft.graph').formats)
  end
  if done <= 1 then
    vim.list_extend(candidates, require('stagecraft.targets').names(vim.api.nvim_get_current_buf()))
  end
  return vim.tbl_filter(function(c)
    return c:sub(1, #lead) == lead
  end, candidates)
end

local function create_commands()
  vim.api.nvim_create_user_command('StagecraftTargets', function(c)
    M.targets(c.args ~= '' and c.args or nil)
  end, {
    nargs = '?',
    complete = complete_targets,
    desc = 'stagecraft: pick a build target, then copy or run its docker build command',
  })
  vim.api.nvim_create_user_command('StagecraftGraph', function(c)
    local format, target
    for _, arg in ipairs(c.fargs) do
      if not format and not target and vim.tbl_contains(require('stagecraft.graph').formats, arg) then
        format = arg
      elseif not target then
        target = arg
      else
        util.error('usage: :StagecraftGraph[!] [svg|mermaid|dot] [target]')
        return
      end
    end
    M.graph({ format = format, target = target, print = c.bang })
  end, {
    nargs = '*',
    bang = true,
    complete = complete_graph,
    desc = 'stagecraft: the stage graph as SVG (opened), Mermaid or DOT',
  })
  vim.api.nvim_create_user_command('StagecraftFixAll', function()
    M.fix_all()
  end, { nargs = 0, desc = 'stagecraft: apply every fix that leaves the build as it was' })
  vim.api.nvim_create_user_command('StagecraftRestart', function()
    server.restart()
  end, { nargs = 0, desc = 'stagecraft: restart the language server' })
end

--- Sets the plugin up: filetype detection, the server for Dockerfile buffers, the commands.
---@param opts table|nil see :help stagecraft-setup
function M.setup(opts)
  local ok, err, warnings = config.set(opts)
  if not ok then
    util.error('setup: ' .. err .. ' (stagecraft is off until setup{} succeeds: see :help stagecraft-options)')
    return
  end
  for _, warning in ipairs(warnings or {}) do
    util.warn('setup: ' .. warning)
  end
  local cfg = config.get()

  group = vim.api.nvim_create_augroup('stagecraft', { clear = true })
  if cfg.detect_filetypes then
    add_filetypes()
  end
  vim.lsp.commands['stagecraft.pickTarget'] = server.pick_target_command
  vim.lsp.commands['stagecraft.showReferences'] = server.show_references_command
  create_commands()
  -- A stage no target in play builds (the server's `unused` semantic-token modifier) looks like
  -- unnecessary code, unless the colour scheme says otherwise (semantic tokens: Neovim 0.9+).
  if util.has('0.9') then
    vim.api.nvim_set_hl(0, '@lsp.mod.unused', { link = 'DiagnosticUnnecessary', default = true })
  end
  if not cfg.autostart then
    return
  end
  -- Servers started by an earlier setup{} get the new settings.
  server.push_settings()

  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = cfg.filetypes,
    callback = function(args)
      server.attach(args.buf)
    end,
    desc = 'stagecraft: attach the language server',
  })
  -- A buffer given its first name (`:w name`, `:file name` on an unnamed Dockerfile buffer):
  -- the server needs a file URI, which it has only now; no FileType comes with the name. (Not
  -- one whose server exited: :StagecraftRestart is for that.)
  vim.api.nvim_create_autocmd({ 'BufFilePost', 'BufWritePost' }, {
    group = group,
    callback = function(args)
      local buf = args.buf
      if vim.tbl_contains(config.get().filetypes, vim.bo[buf].filetype) and not server.client_for(buf)
        and not server.exited(buf) then
        server.attach(buf)
      end
    end,
    desc = 'stagecraft: attach a Dockerfile buffer once it has a name',
  })
  if not util.has('0.8') then
    follow_renames()
  end
  -- Setup may run after Dockerfiles were opened (lazy loading).
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(buf) and vim.tbl_contains(cfg.filetypes, vim.bo[buf].filetype)
      and not server.client_for(buf) then
      server.attach(buf)
    end
  end
end

--- :StagecraftTargets [NAME]
---@param name string|nil a target to skip the first picker with
function M.targets(name)
  require('stagecraft.targets').pick({ bufnr = vim.api.nvim_get_current_buf(), name = name })
end

--- :StagecraftGraph
---@param opts {format: string|nil, target: string|nil, print: boolean|nil}|nil
function M.graph(opts)
  opts = vim.tbl_extend('force', { bufnr = vim.api.nvim_get_current_buf() }, opts or {})
  return require('stagecraft.graph').show(opts)
end

--- :StagecraftFixAll: the server's "fix all safe problems" (`source.fixAll.stagecraft`) applied
--- to the buffer: keyword casing, `key=value`, lowercase stage names, ... never a fix that
--- changes what the build does.
---@param bufnr integer|nil the current buffer when nil
function M.fix_all(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local client = server.ready_client(bufnr)
  if not client then
    server.explain_missing_client(bufnr)
    return
  end
  local origin = { line = 0, character = 0 }
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = { start = origin, ['end'] = origin },
    context = { diagnostics = {}, only = { 'source.fixAll' } },
  }
  util.request(client, 'textDocument/codeAction', params, function(err, result)
    if err then
      util.error('could not fix: ' .. (err.message or tostring(err)))
      return
    end
    local action = result and result[1]
    if not action or not action.edit then
      util.notify('nothing to fix that keeps the build as it is')
      return
    end
    vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding or 'utf-16')
    util.notify(action.title)
  end, bufnr)
end

--- Changes settings at run time and sends them to the running servers, e.g.
--- `require('stagecraft').update_settings({ buildArgs = { GO_VERSION = '1.23' } })`.
---@param settings table a part of stagecraft.Settings (each given key replaces the old value)
function M.update_settings(settings)
  local ok, err, warnings = config.update_settings(settings)
  if not ok then
    util.error('update_settings: ' .. err)
    return
  end
  for _, warning in ipairs(warnings or {}) do
    util.warn('update_settings: ' .. warning)
  end
  server.push_settings()
end

M.restart = server.restart

return M
