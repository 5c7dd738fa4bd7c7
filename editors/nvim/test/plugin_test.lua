-- The stagecraft plugin in headless Neovim (0.7+) against the real `stagecraft lsp`. Run by
-- test/run.sh from the project folder it makes (cwd), with `stagecraft` on PATH.
--
-- 1. setup{} attaches the server to a Dockerfile (settings reach it: the unused-stage diagnostic
--    comes with the severity set in setup{}), on_attach is passed through, and a second
--    Dockerfile of the same root (a *.dockerfile name the plugin detects) shares the client;
--    update_settings() reaches the running server (didChangeConfiguration), namedContexts too
--    (the stage graph and the hover show the image it replaces as a named context).
-- 2. :StagecraftTargets with a scripted vim.ui.select picks `test`, then "Copy command": the
--    register holds the exact docker build command (--build-arg and --build-context from
--    settings, each sorted by name, -f relative);
--    the commands complete target names and formats.
-- 3. :StagecraftTargets NAME skips the first picker; "Run in terminal" (termopen stubbed) gets
--    the command of the unnamed default target (no --target); an unknown name is an error.
-- 4. The code lens of `FROM build AS test`, run with vim.lsp.codelens.run() (which asks which of
--    the line's two lenses), reaches the registered stagecraft.pickTarget handler and the action
--    picker with `test` preselected; the references lens of `FROM golang... AS build` reaches
--    stagecraft.showReferences and lists the three references in the quickfix list.
-- 5. Rename from COPY --from=build to `compile`, :write, every reference is renamed on disk.
-- 6. :StagecraftGraph svg writes an SVG with the stage names (open_cmd stubbed), with a target
--    too; mermaid opens a scratch buffer of `flowchart` text; ! dot prints; a buffer without the
--    server gets its graph from the CLI (with the named contexts of the settings). A scratch or
--    text buffer is told to run the commands from a Dockerfile (not to restart the server).
-- 7. :StagecraftRestart replaces the server for the open Dockerfiles (right after a settings
--    change too: no diagnostics of the old server are left).
-- 8. A missing binary (a bad path, then nothing on PATH) gives the install message, no crash.
--    An unknown setup{} key or setting is ignored with a warning naming the closest one.
-- 9. :checkhealth stagecraft finds the binary and its version; a `cmd` that is no stagecraft
--    binary (/bin/true) is an error.
-- 10. With autostart = false, a client named "stagecraft" started elsewhere (as nvim-lspconfig
--     would) serves :StagecraftTargets, with the build args and named contexts of its own config.
-- 11. The help file's tags are valid and reachable.
-- 12. Dockerfile.dockerignore (the ignore file BuildKit reads beside a Dockerfile) is no
--     Dockerfile: not detected as one, and never attached even when its filetype says dockerfile.
-- (13, in run.sh: filetype detection with setup() in init.lua.)
-- 14. A server killed with SIGKILL (codelens = true): its lenses go, a CursorHold refresh
--     without a server blocks nothing, the lens key says it exited; after :StagecraftRestart one
--     set of lenses, the new server's, which the lens key runs.
-- 15. :StagecraftRestart while the server is still starting leaves one server on the buffer.
-- 16. Unsaved changes: the action picker says docker build reads the file on disk, and offers
--     to write it first or run the saved file; "Copy command" warns.
-- 17. 'omnifunc' and 'tagfunc' use the server (<C-]> on a stage), a user's 'omnifunc' stays.
-- 18. `:w | bw` with codelens = true leaves no error (no lens drawn on the wiped buffer).

local plugin = assert(os.getenv('STAGECRAFT_PLUGIN'), 'STAGECRAFT_PLUGIN')
local work = assert(os.getenv('WORK'), 'WORK')
local project = vim.fn.getcwd()
vim.opt.runtimepath:prepend(plugin)
-- As in a user's Neovim (-u NONE leaves detection off).
vim.cmd('filetype on')

local passed, failed = 0, 0

local function out(line)
  io.stdout:write(line .. '\n')
end

local function check(cond, what, detail)
  if cond then
    passed = passed + 1
    out('PASS ' .. what)
  else
    failed = failed + 1
    out('FAIL ' .. what .. (detail and ('\n     ' .. tostring(detail)) or ''))
  end
  return cond
end

local function eq(got, want, what)
  return check(got == want, what, ('got  %s\n     want %s'):format(vim.inspect(got), vim.inspect(want)))
end

local function wait(ms, cond)
  return vim.wait(ms, cond, 20)
end

local function read(path)
  local f = io.open(path, 'rb')
  if not f then
    return nil
  end
  local s = f:read('*a')
  f:close()
  return s
end

local function buffer_text(buf)
  return table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n')
end

--- The 1-based line and column of the first `text` in the current buffer.
local function find(text)
  for lnum, line in ipairs(vim.api.nvim_buf_get_lines(0, 0, -1, false)) do
    local col = line:find(text, 1, true)
    if col then
      return lnum, col
    end
  end
end

-- Captured notifications.
local notes = {}
vim.notify = function(msg, level)
  table.insert(notes, { msg = msg, level = level or vim.log.levels.INFO })
  out(('     [notify %s] %s'):format(level or vim.log.levels.INFO, msg))
end
local function noted(text, level)
  for _, n in ipairs(notes) do
    if n.msg:find(text, 1, true) and (not level or n.level == level) then
      return true
    end
  end
  return false
end
--- Whether a notification after the first `count` says `text`.
local function noted_since(count, text, level)
  for i = count + 1, #notes do
    if notes[i].msg:find(text, 1, true) and (not level or notes[i].level == level) then
      return true
    end
  end
  return false
end
local uv = vim.uv or vim.loop

-- vim.ui.select answers from a script: each entry is the start of the item to pick.
local script, shown = {}, {}
vim.ui.select = function(items, opts, on_choice)
  local labels = vim.tbl_map(opts.format_item or tostring, items)
  table.insert(shown, { prompt = opts.prompt, kind = opts.kind, items = labels })
  local want = table.remove(script, 1)
  for i, label in ipairs(labels) do
    if want and label:sub(1, #want) == want then
      return on_choice(items[i], i)
    end
  end
  on_choice(nil, nil)
end

--- Runs `action` with vim.ui.select answering `choices` in turn, and waits (up to `timeout` ms)
--- for the unnamed register to be filled, as "Copy command" fills it: the register then (empty
--- if nothing came).
local function copied(choices, action, timeout)
  script, shown = choices, {}
  vim.fn.setreg('"', '')
  action()
  wait(timeout or 5000, function()
    return vim.fn.getreg('"') ~= ''
  end)
  return vim.fn.getreg('"')
end

-- termopen (and jobstart with term = true on 0.11+) record what they would run.
local terminals = {}
vim.fn.termopen = function(cmd, opts)
  table.insert(terminals, { cmd = cmd, cwd = opts and opts.cwd })
  return 1
end
local jobstart = vim.fn.jobstart
vim.fn.jobstart = function(cmd, opts)
  if opts and opts.term then
    return vim.fn.termopen(cmd, opts)
  end
  return jobstart(cmd, opts)
end

local opened = {}
local attached = {}
local ok, err = pcall(require('stagecraft').setup, {
  settings = {
    buildArgs = { GO_VERSION = '1.23', NOTE = 'hello world' },
    severities = { ['unused-stage'] = 'warning' },
  },
  codelens = true,
  keymaps = true,
  graph_dir = work .. '/graphs',
  open_cmd = function(path)
    table.insert(opened, path)
  end,
  on_attach = function(client, bufnr)
    attached[bufnr] = client.id
  end,
})
check(ok, 'setup{} runs', err)

--- Closes the current window unless it is the last one.
local function close_split()
  if #vim.api.nvim_tabpage_list_wins(0) > 1 then
    vim.cmd('close')
  end
end

local function client_id(buf)
  local c = require('stagecraft.server').client_for(buf)
  return c and c.id
end

local function main()
  -- 1. Attach, diagnostics, one client per root. ------------------------------------------------
  vim.cmd('edit app/Dockerfile')
  local buf = vim.api.nvim_get_current_buf()
  eq(vim.bo.filetype, 'dockerfile', '1 app/Dockerfile gets filetype dockerfile')
  if not check(wait(10000, function()
    return client_id(buf) ~= nil and attached[buf] ~= nil
  end), '1 setup{} starts the server and attaches it (on_attach passed through)') then
    error('no server, the other checks would only time out', 0)
  end
  local unused
  wait(10000, function()
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      if d.code == 'unused-stage' and d.message:find('`docs`', 1, true) then
        unused = d
        return true
      end
    end
    return false
  end)
  check(unused ~= nil, '1 the unused-stage diagnostic of `docs` arrives')
  eq(unused and unused.severity, vim.diagnostic.severity.WARN, '1 its severity is the one from settings.severities')
  check(vim.fn.maparg('<leader>st', 'n') ~= '', '1 keymaps = true maps <leader>st in the buffer')
  if vim.api.nvim_get_autocmds then
    local events = {}
    for _, a in ipairs(vim.api.nvim_get_autocmds({ group = 'stagecraft_codelens', buffer = buf })) do
      events[a.event] = true
    end
    check(events.TextChanged and events.InsertLeave and events.BufWritePost,
      '1 the code lenses refresh after normal-mode edits too (TextChanged)', vim.inspect(vim.tbl_keys(events)))
  end

  vim.cmd('edit app/api.dockerfile')
  local api_buf = vim.api.nvim_get_current_buf()
  eq(vim.bo.filetype, 'dockerfile', '1 app/api.dockerfile is detected as a Dockerfile')
  wait(10000, function()
    return client_id(api_buf) ~= nil
  end)
  check(client_id(api_buf) ~= nil and client_id(api_buf) == client_id(buf),
    '1 a second Dockerfile of the same root shares the client', ('%s vs %s'):format(client_id(api_buf), client_id(buf)))
  eq(#require('stagecraft.server').clients(), 1, '1 one server runs')
  vim.cmd('edit app/Containerfile.dev')
  eq(vim.bo.filetype, 'dockerfile', '1 app/Containerfile.dev is detected as a Dockerfile')
  vim.cmd('edit app/web.Containerfile')
  eq(vim.bo.filetype, 'dockerfile', '1 app/web.Containerfile is detected as a Dockerfile (as VS Code does)')

  -- 12. The ignore file BuildKit reads beside a Dockerfile. --------------------------------------
  for _, name in ipairs({ 'app/Dockerfile.dockerignore', 'app/Containerfile.dockerignore', 'app/Dockerfile.dev.dockerignore' }) do
    vim.cmd('edit ' .. name)
    eq(vim.bo.filetype, 'gitignore', '12 ' .. name .. ' is an ignore file (gitignore), no Dockerfile')
  end
  local ignore_buf = vim.api.nvim_get_current_buf()
  -- Even when its filetype says dockerfile (another plugin, or by hand), no server is attached.
  vim.bo.filetype = 'dockerfile'
  eq(require('stagecraft.server').attach(ignore_buf), nil, '12 attach() refuses a *.dockerignore buffer')
  check(not wait(500, function()
    return client_id(ignore_buf) ~= nil
  end), '12 no client is attached to it')
  local started = vim.loop.hrtime()
  local ignore_notes = #notes
  vim.cmd('StagecraftTargets')
  local took = (vim.loop.hrtime() - started) / 1e6
  check(#notes > ignore_notes and noted('Dockerfile.dev.dockerignore is an ignore file', vim.log.levels.WARN) and took < 1000,
    '12 :StagecraftTargets there says it is an ignore file, at once', ('%d ms'):format(took))
  vim.cmd('buffer ' .. buf)

  local function unused_names()
    local names = {}
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      if d.code == 'unused-stage' then
        table.insert(names, d.message:match('`(.-)`'))
      end
    end
    table.sort(names)
    return table.concat(names, ',')
  end
  -- Sets the targets in play and waits for the unused stages the server then reports.
  local function with_targets(targets, unused, what)
    require('stagecraft').update_settings({ targets = targets })
    check(wait(5000, function()
      return unused_names() == unused
    end), what, unused_names())
  end
  with_targets({ 'test', 'stage-3' }, 'docs', '1 update_settings() reaches the server (targets in play: test is no longer unused)')
  with_targets({}, 'docs,test', '1 and back')
  -- One target alone is a list of one, as the server and VS Code take it.
  with_targets('test', 'docs', '1 a lone target name is taken as a list of one')
  with_targets({}, 'docs,test', '1 and back again')
  local bad_settings = pcall(require('stagecraft').update_settings, { targets = 5 })
  check(bad_settings and noted('update_settings: settings.targets: expected table', vim.log.levels.ERROR),
    '1 update_settings() with a setting of the wrong type says so (no Lua error)')
  eq(#require('stagecraft.config').get().settings.targets, 0, '1 and keeps the settings it had')
  local bad_context = pcall(require('stagecraft').update_settings, { buildContext = 5 })
  check(bad_context and noted('update_settings: settings.buildContext: expected string, got number', vim.log.levels.ERROR),
    '1 a buildContext that is no string says so')
  require('stagecraft').update_settings({ buildContext = '..' })
  eq(require('stagecraft.config').get().settings.buildContext, '..', '1 buildContext is kept for the server')
  require('stagecraft').update_settings({ buildContext = '' })
  eq(require('stagecraft.config').get().settings.buildContext, nil, '1 and an empty one clears it')

  -- namedContexts reach the server: the image they replace is a named context in the graph and
  -- the hover.
  local bad_contexts = pcall(require('stagecraft').update_settings, { namedContexts = 5 })
  check(bad_contexts and noted('update_settings: settings.namedContexts: expected table, got number', vim.log.levels.ERROR),
    '1 namedContexts that are no table say so')
  local function context_nodes()
    local answer = vim.lsp.buf_request_sync(buf, 'stagecraft/stageGraph',
      { textDocument = { uri = vim.uri_from_bufnr(buf) } }, 5000) or {}
    local _, reply = next(answer)
    local labels = {}
    for _, n in ipairs(reply and reply.result and reply.result.nodes or {}) do
      if n.kind == 'context' then
        table.insert(labels, n.label)
      end
    end
    return table.concat(labels, ',')
  end
  local function hover_at(text)
    local lnum, col = find(text)
    local answer = vim.lsp.buf_request_sync(buf, 'textDocument/hover', {
      textDocument = { uri = vim.uri_from_bufnr(buf) },
      position = { line = lnum - 1, character = col - 1 + #'FROM ' },
    }, 5000) or {}
    local _, reply = next(answer)
    local contents = reply and reply.result and reply.result.contents
    return type(contents) == 'table' and (contents.value or vim.inspect(contents)) or ''
  end
  require('stagecraft').update_settings({ namedContexts = { ['alpine:3.19'] = 'docker-image://alpine:3.20' } })
  check(wait(5000, function()
    return context_nodes() == 'alpine:3.19'
  end), '1 namedContexts reach the server: the graph has a node of kind context for the image', context_nodes())
  local hover = hover_at('FROM alpine:3.19 AS docs')
  check(hover:find('named build context', 1, true), '1 and the hover on the image says it is a named build context', hover)
  -- A list of names is names alone (no value): the server reads them the same.
  require('stagecraft').update_settings({ namedContexts = { 'alpine:3.19' } })
  local kept = require('stagecraft.config').get().settings.namedContexts
  eq(vim.tbl_count(kept) == 1 and kept['alpine:3.19'], '', '1 a list of names is kept as names without a value')
  require('stagecraft').update_settings({ namedContexts = {} })
  check(wait(5000, function()
    return context_nodes() == ''
  end), '1 and without namedContexts the image is an image again', context_nodes())
  require('stagecraft').update_settings({ namedContexts = { 'alpine:3.19' } })
  check(wait(5000, function()
    return context_nodes() == 'alpine:3.19'
  end), '1 the names alone reach the server too', context_nodes())
  require('stagecraft').update_settings({ namedContexts = {} })
  wait(5000, function()
    return context_nodes() == ''
  end)

  -- 2. :StagecraftTargets, scripted picks, Copy command. ---------------------------------------
  -- The build context is the Dockerfile's folder, where the server reads .dockerignore.
  local expected_test = "docker build --target test --build-arg GO_VERSION=1.23 --build-arg 'NOTE=hello world' -f app/Dockerfile app"
  local expected_default = "docker build --build-arg GO_VERSION=1.23 --build-arg 'NOTE=hello world' -f app/Dockerfile app"

  -- :StagecraftTargets, picking `test` and "Copy command": the register then (empty if nothing came).
  local function copy_test_command(timeout)
    return copied({ 'test —', 'Copy command' }, function()
      vim.cmd('StagecraftTargets')
    end, timeout)
  end
  eq(copy_test_command(), expected_test, '2 "Copy command" puts the docker build command in the register')
  local items = shown[1] and shown[1].items or {}
  eq(items[1], 'build — compiles the server binary · builds 1 stage', '2 a target item: name — description · builds N stage')
  eq(items[3], 'test — runs the unit tests · builds 2 stages', '2 the test target item')
  eq(items[4], 'stage-3 (default) · builds 2 stages', '2 the unnamed default target is marked (default)')
  eq(shown[2] and table.concat(shown[2].items, '|'), 'Copy command|Run in terminal', '2 the actions offered')
  eq(table.concat(vim.fn.getcompletion('StagecraftTargets ', 'cmdline'), ','), 'build,docs,test,#3',
    '2 :StagecraftTargets completes the target names (#N for a stage without a name)')
  eq(table.concat(vim.fn.getcompletion('StagecraftGraph m', 'cmdline'), ','), 'mermaid',
    '2 :StagecraftGraph completes the formats')
  eq(table.concat(vim.fn.getcompletion('StagecraftGraph svg t', 'cmdline'), ','), 'test',
    '2 then the targets')
  check(noted('copied to the unnamed register: ' .. expected_test), '2 it says what was copied')
  -- The build context the settings name (relative to the Dockerfile's folder) is the command's.
  require('stagecraft').update_settings({ buildContext = '..' })
  eq(copy_test_command(), (expected_test:gsub(' app$', ' .')), '2 with buildContext, the command builds that context')
  require('stagecraft').update_settings({ buildContext = '.' })
  eq(copy_test_command(), expected_test, '2 buildContext "." is the Dockerfile\'s folder, as by default')
  require('stagecraft').update_settings({ buildContext = '' })
  eq(require('stagecraft.targets').format({ name = 'top', stage = 2, builds = 2, fails = { message = 'invalid port', line = 2 } }),
    'top · build fails (line 3)', '2 a target whose build is known to fail says where')
  eq(require('stagecraft.targets').format({ name = 'x', stage = 0, builds = 1, fails = vim.NIL }), 'x · builds 1 stage',
    '2 a target not known to fail says what it builds')
  eq(require('stagecraft.targets').context_for(project .. '/Dockerfile', nil), '.',
    '2 a Dockerfile in the current folder builds `.`')
  eq(require('stagecraft.targets').context_for(work .. '/other/Dockerfile', nil), work .. '/other',
    '2 one outside it builds its folder, by its absolute path')
  -- The named contexts with a value, sorted by name (byte order), after the build args.
  require('stagecraft').update_settings({
    namedContexts = { ['alpine:3.19'] = 'docker-image://alpine:3.20', Z = 'local:out', deps = '', notes = 'two words' },
  })
  eq(copy_test_command(),
    "docker build --target test --build-arg GO_VERSION=1.23 --build-arg 'NOTE=hello world' --build-context Z=local:out "
      .. "--build-context alpine:3.19=docker-image://alpine:3.20 --build-context 'notes=two words' -f app/Dockerfile app",
    '2 with namedContexts, --build-context NAME=VALUE for each with a value, sorted, before -f')
  require('stagecraft').update_settings({ namedContexts = { 'alpine:3.19' } })
  eq(copy_test_command(), expected_test, '2 names alone add nothing to the command')
  require('stagecraft').update_settings({ namedContexts = {} })
  -- The target platform, after the target.
  require('stagecraft').update_settings({ platform = 'linux/arm64' })
  eq(copy_test_command(), expected_test:gsub('^docker build %-%-target test ', 'docker build --target test --platform linux/arm64 '),
    '2 with platform, --platform after --target')
  require('stagecraft').update_settings({ platform = '' })
  eq(copy_test_command(), expected_test, '2 an empty platform adds nothing')
  -- A client started with a platform whose settings later drop it: the settings say it alone.
  do
    local fake = { config = { settings = { stagecraft = {} }, init_options = { platform = 'linux/arm64', buildContext = 'x' } } }
    eq(require('stagecraft.server').platform(fake), nil, '2 a platform cleared since start-up is not the command\'s')
    eq(require('stagecraft.server').build_context(fake), nil, '2 nor a build context')
    fake.config.init_options.buildArgs = { OLD = '1' }
    eq(require('stagecraft.server').build_args(fake), require('stagecraft.config').get().settings.buildArgs,
      '2 nor build args dropped since start-up')
    fake.config.settings = nil
    eq(require('stagecraft.server').platform(fake), 'linux/arm64', '2 without settings, initializationOptions say it')
  end
  eq(require('stagecraft.targets').build_command({ name = vim.NIL }, 'Dockerfile', {}, nil, { b = '1', B_2 = '2', B = '3', _X = '4' }),
    'docker build --build-context B=3 --build-context B_2=2 --build-context _X=4 --build-context b=1 -f Dockerfile .',
    '2 named contexts in byte order, as VS Code sorts them')

  -- 3. :StagecraftTargets NAME, Run in terminal. -----------------------------------------------
  local win = vim.api.nvim_get_current_win()
  script, shown = { 'Run in terminal' }, {}
  vim.cmd('StagecraftTargets stage-3')
  wait(5000, function()
    return #terminals > 0
  end)
  eq(terminals[1] and terminals[1].cmd, expected_default, '3 "Run in terminal" runs the default target (no --target)')
  eq(terminals[1] and terminals[1].cwd, project, '3 in the current folder')
  eq(#shown, 1, '3 a target given as argument skips the target picker')
  if vim.api.nvim_get_current_win() ~= win then
    close_split()
  end
  vim.cmd('stopinsert')
  local before = #notes
  vim.cmd('StagecraftTargets nope')
  wait(5000, function()
    return #notes > before
  end)
  check(noted('Dockerfile has no target nope (targets: build, docs, test, stage-3)', vim.log.levels.ERROR),
    '3 an unknown target is an error naming the targets')
  -- Names match ignoring case, as `docker build --target` does; a stage index that is no target
  -- (a lens above an unnamed stage before the last) opens the whole list.
  eq(copied({ 'Copy command' }, function()
    vim.cmd('StagecraftTargets TEST')
  end), expected_test, '3 :StagecraftTargets TEST is the target test')
  copied({ 'docs', 'Copy command' }, function()
    require('stagecraft.targets').pick({ bufnr = buf, stage = 99 })
  end)
  eq(shown[1] and #shown[1].items, 4, '3 a stage that is no target: the target picker instead of an error')

  -- 4. The code lens command. --------------------------------------------------------------------
  local test_line = find('FROM build AS test')
  local lens
  wait(10000, function()
    for _, l in ipairs(vim.lsp.codelens.get(buf)) do
      if l.range.start.line == test_line - 1 then
        lens = l
        return true
      end
    end
    return false
  end)
  eq(lens and lens.command.title, 'target: test · builds 2 stages', '4 codelens = true shows the lenses')
  eq(lens and lens.command.command, 'stagecraft.pickTarget', '4 the lens runs stagecraft.pickTarget')
  eq(lens and vim.inspect(lens.command.arguments), vim.inspect({ vim.uri_from_bufnr(buf), 2 }),
    '4 with [uri, stage index]')
  vim.api.nvim_win_set_cursor(0, { test_line, 0 })
  copied({ 'target: test', 'Copy command' }, vim.lsp.codelens.run)
  eq(vim.fn.getreg('"'), expected_test, '4 the lens reaches the registered handler and copies the test command')
  eq(shown[1] and table.concat(shown[1].items, '|'), 'target: test · builds 2 stages|0 refs',
    '4 the line has two lenses: the target and its references')
  eq(#shown == 2 and shown[2].prompt, 'Target test: ' .. expected_test, '4 straight to the actions of the preselected target')
  -- The references lens of `build`.
  local build_lnum = find('FROM golang')
  vim.fn.setqflist({}, 'f')
  script, shown = { '3 refs' }, {}
  vim.api.nvim_win_set_cursor(0, { build_lnum, 0 })
  vim.lsp.codelens.run()
  wait(5000, function()
    return #vim.fn.getqflist() > 0
  end)
  local refs = {}
  for _, item in ipairs(vim.fn.getqflist()) do
    table.insert(refs, item.lnum)
  end
  vim.cmd('cclose')
  eq(table.concat(refs, ' '), ('%d %d %d'):format(find('FROM build AS test'), find('RUN --mount'), find('COPY --from=build')),
    '4 the lens "3 refs" lists the references of `build` (its definition aside) in the quickfix list')

  -- 4b. Call hierarchy: Neovim's own incoming/outgoing calls over the stage graph. ---------------
  local copy_lnum, copy_col = find('COPY --from=build')
  local function calls(request)
    vim.fn.setqflist({}, 'f')
    vim.api.nvim_win_set_cursor(0, { copy_lnum, copy_col - 1 + #'COPY --from=' })
    request()
    wait(5000, function()
      return #vim.fn.getqflist() > 0
    end)
    local got = {}
    for _, item in ipairs(vim.fn.getqflist()) do
      table.insert(got, item.text .. ':' .. item.lnum)
    end
    vim.cmd('cclose')
    return table.concat(got, ' ')
  end
  eq(calls(vim.lsp.buf.incoming_calls),
    ('test:%d stage-3:%d stage-3:%d'):format(find('FROM build AS test'), find('RUN --mount'), copy_lnum),
    '4b incoming calls of `build` (from COPY --from=build): the stages that take from it, where')
  local build_line = find('FROM golang')
  eq(calls(vim.lsp.buf.outgoing_calls), ('golang:1.23:%d'):format(build_line),
    '4b outgoing calls of `build`: its image, expanded with the buildArgs setting (GO_VERSION=1.23)')

  -- 4b'. A variable's hover: its value there, with the buildArgs setting, and where it is set.
  local var_lnum, var_col = find('${GO_VERSION}')
  local var_answer = vim.lsp.buf_request_sync(0, 'textDocument/hover', {
    textDocument = { uri = vim.uri_from_bufnr(0) },
    position = { line = var_lnum - 1, character = var_col + 1 },
  }, 5000) or {}
  local _, var_reply = next(var_answer)
  local var_hover = var_reply and var_reply.result and var_reply.result.contents or {}
  var_hover = type(var_hover) == 'table' and (var_hover.value or '') or ''
  check(var_hover:find('**`$GO_VERSION`** = `1.23`', 1, true) and var_hover:find('--build-arg GO_VERSION', 1, true),
    '4b the hover on ${GO_VERSION} gives its value from the buildArgs setting', var_hover)

  -- 4c. Workspace symbols: the stages of the project's Dockerfiles, by a fuzzy name. -------------
  vim.fn.setqflist({}, 'f')
  vim.lsp.buf.workspace_symbol('bld')
  wait(5000, function()
    return #vim.fn.getqflist() > 0
  end)
  local symbols = {}
  for _, item in ipairs(vim.fn.getqflist()) do
    -- ("[Class] build", or "[Class] build in app/Dockerfile" with the container, as 0.12 shows it.)
    local name = (item.text:match('%] (.*)$') or item.text):gsub(' in .*$', '')
    table.insert(symbols, ('%s:%d'):format(name, item.lnum))
  end
  vim.cmd('cclose')
  eq(table.concat(symbols, ' '), ('build:%d'):format(build_line), '4c workspace_symbol("bld") finds the stage `build`')

  -- 5. Rename. -----------------------------------------------------------------------------------
  local lnum, col = find('COPY --from=build')
  vim.api.nvim_win_set_cursor(0, { lnum, col - 1 + #'COPY --from=' })
  vim.lsp.buf.rename('compile')
  wait(5000, function()
    return buffer_text(buf):find('AS compile', 1, true) ~= nil
  end)
  vim.cmd('silent write')
  local disk = read(project .. '/app/Dockerfile') or ''
  check(disk:find('FROM golang:${GO_VERSION} AS compile', 1, true), '5 the AS name is renamed on disk')
  check(disk:find('FROM compile AS test', 1, true), '5 FROM <stage> is renamed on disk')
  check(disk:find('from=compile,target=/src', 1, true), '5 RUN --mount from= is renamed on disk')
  check(disk:find('COPY --from=compile /out/app /app', 1, true), '5 COPY --from is renamed on disk')
  check(not disk:find('AS build', 1, true) and not disk:find('FROM build', 1, true) and not disk:find('from=build', 1, true),
    '5 no reference to `build` is left', disk)

  -- 6. :StagecraftGraph. -------------------------------------------------------------------------
  vim.cmd('StagecraftGraph svg')
  wait(5000, function()
    return #opened > 0
  end)
  local svg_path = opened[1]
  eq(svg_path, work .. '/graphs/stagecraft-app-Dockerfile.svg', '6 svg: written to graph_dir and handed to open_cmd')
  local svg = svg_path and read(svg_path) or ''
  check(svg:sub(1, 4) == '<svg', '6 the file is an SVG document', svg:sub(1, 80))
  check(svg:find('>compile<', 1, true) and svg:find('>docs<', 1, true) and svg:find('>test<', 1, true),
    '6 it draws the stages (after the rename)')
  vim.cmd('StagecraftGraph svg test')
  wait(5000, function()
    return #opened > 1
  end)
  eq(opened[2], work .. '/graphs/stagecraft-app-Dockerfile@test.svg', '6 svg with a target: its own file')
  local stem = require('stagecraft.graph').file_stem
  check(stem(project .. '/a/Dockerfile') ~= stem(project .. '/b/Dockerfile'),
    '6 the SVGs of a/Dockerfile and b/Dockerfile have names of their own', stem(project .. '/a/Dockerfile'))
  eq(stem(project .. '/Dockerfile'), 'Dockerfile', '6 a Dockerfile in the current folder: its name alone')
  -- Paths that a name made by replacing characters would mix up: each has its own.
  local stems = {}
  for _, path in ipairs({ 'a-b/Dockerfile', 'a/b/Dockerfile', 'a b/Dockerfile', 'a_b/Dockerfile', 'ü/Dockerfile',
    'é/Dockerfile', 'c#d/Dockerfile', 'c_d/Dockerfile', '/abs/Dockerfile', 'abs/Dockerfile' }) do
    local s = stem(path:sub(1, 1) == '/' and path or (project .. '/' .. path))
    check(stems[s] == nil, '6 ' .. path .. ' has an SVG name of its own', s .. ' is also ' .. tostring(stems[s]))
    stems[s] = path
  end
  eq(stem(project .. '/a-b/Dockerfile'), 'a_2db-Dockerfile', '6 a character a name should not hold: its hex')
  check((opened[2] and read(opened[2]) or ''):find('target test', 1, true), '6 drawn for that target')

  vim.cmd('StagecraftGraph mermaid')
  wait(5000, function()
    return vim.bo.filetype == 'mermaid'
  end)
  local mermaid = buffer_text(0)
  eq(vim.bo.filetype, 'mermaid', '6 mermaid: a scratch buffer with filetype mermaid')
  check(mermaid:match('^flowchart') or mermaid:match('^graph'), '6 holding flowchart text', mermaid:sub(1, 80))
  check(mermaid:find('["compile"]', 1, true), '6 with the stages')
  close_split()

  vim.cmd('StagecraftGraph! dot')
  wait(5000, function()
    return vim.fn.execute('messages'):find('digraph', 1, true) ~= nil
  end)
  check(vim.fn.execute('messages'):find('digraph', 1, true), '6 :StagecraftGraph! dot prints the DOT text')

  vim.cmd('edit stages.txt')
  check(client_id(0) == nil, '6 a text buffer has no server')
  local notes6 = #notes
  vim.cmd('StagecraftTargets')
  check(noted_since(notes6, 'not attached to stages.txt (filetype "text"): it serves filetype dockerfile; run this from '
    .. 'a Dockerfile, or `:setfiletype dockerfile` if this is one', vim.log.levels.WARN)
    and not noted_since(notes6, 'StagecraftRestart'), '6 :StagecraftTargets there says what helps: a Dockerfile, or its filetype')
  vim.cmd('StagecraftGraph mermaid')
  wait(5000, function()
    return vim.bo.filetype == 'mermaid'
  end)
  check(vim.bo.filetype == 'mermaid' and buffer_text(0):find('["build"]', 1, true),
    '6 without the server the graph comes from `stagecraft graph`', buffer_text(0):sub(1, 80))
  close_split()
  require('stagecraft').update_settings({ namedContexts = { ['alpine:3.19'] = 'docker-image://alpine:3.20' } })
  vim.cmd('StagecraftGraph mermaid')
  wait(5000, function()
    return vim.bo.filetype == 'mermaid'
  end)
  check(vim.bo.filetype == 'mermaid' and buffer_text(0):find('alpine:3.19 (named context)', 1, true),
    '6 with the names of namedContexts', buffer_text(0))
  require('stagecraft').update_settings({ namedContexts = {} })
  local before_graph = #notes
  vim.cmd('StagecraftGraph mermaid')
  check(vim.bo.filetype == 'mermaid' and #notes > before_graph and noted('not attached to'),
    '6 a scratch buffer (the graph itself) gets no graph of its own')
  check(noted_since(before_graph, 'it is no file (buftype=nofile); run this from a Dockerfile', vim.log.levels.WARN)
    and not noted_since(before_graph, 'StagecraftRestart'),
    '6 and is told to run it from a Dockerfile, not to restart the server (which can\'t help there)')
  close_split()

  -- 7. Restart. ---------------------------------------------------------------------------------
  vim.cmd('buffer ' .. buf)
  local old_id = client_id(buf)
  local lenses_before = #vim.lsp.codelens.get(buf)
  vim.cmd('StagecraftRestart')
  -- A command right away waits for the starting server instead of saying it is missing.
  local notes_before = #notes
  local restarted_copy = copy_test_command(10000)
  check(restarted_copy == expected_test and not vim.tbl_contains(vim.tbl_map(function(n)
    return n.msg:find('not attached', 1, true) ~= nil
  end, { unpack(notes, notes_before + 1) }), true), '7 :StagecraftTargets right after the restart waits for the server',
    restarted_copy)
  check(wait(10000, function()
    return client_id(buf) ~= nil and client_id(buf) ~= old_id and client_id(api_buf) == client_id(buf)
  end), '7 :StagecraftRestart starts a new server for the open Dockerfiles', ('%s -> %s'):format(old_id, client_id(buf)))
  check(wait(10000, function()
    return unused_names() == 'docs,test'
  end), '7 which publishes diagnostics again', unused_names())
  -- The stopped server's code lenses go (Neovim 0.7 keeps a stopped client's): the lenses of a
  -- FROM are the new server's alone, once it has sent them.
  vim.lsp.codelens.refresh()
  local function lens_clients()
    local seen = {}
    for _, l in ipairs(vim.lsp.codelens.get(buf)) do
      seen[#seen + 1] = l.range.start.line
    end
    return seen
  end
  check(wait(10000, function()
    return #lens_clients() == lenses_before
  end) and #vim.api.nvim_buf_get_extmarks(buf, vim.api.nvim_create_namespace('vim_lsp_codelens:' .. old_id), 0, -1, {}) == 0,
    '7 and the old server\'s code lenses go', ('%d lenses before, %d after'):format(lenses_before, #lens_clients()))

  -- 7b. :StagecraftFixAll. ----------------------------------------------------------------------
  local last = vim.api.nvim_buf_line_count(buf)
  vim.api.nvim_buf_set_lines(buf, last, last, false, { 'expose 8080/TCP' })
  vim.cmd('StagecraftFixAll')
  check(wait(5000, function()
    return buffer_text(buf):find('EXPOSE 8080/tcp', 1, true) ~= nil
  end), '7 :StagecraftFixAll applies the safe fixes (keyword case, protocol case)', buffer_text(buf):sub(-200))
  check(wait(2000, function()
    return noted('Fix all safe problems (2)')
  end), '7 and says what it did')
  before = #notes
  vim.cmd('StagecraftFixAll')
  check(wait(5000, function()
    return noted('nothing to fix that keeps the build as it is')
  end), '7 a second run has nothing left to fix')
  vim.api.nvim_buf_set_lines(buf, last, last + 1, false, {})

  -- 7c. A buffer saved under another name (`:saveas`) is the server's document of that name.
  vim.cmd('edit app/api.dockerfile')
  vim.cmd('silent saveas! app/renamed.Dockerfile')
  local renamed = vim.api.nvim_get_current_buf()
  local answer = vim.lsp.buf_request_sync(renamed, 'textDocument/documentSymbol',
    { textDocument = { uri = vim.uri_from_bufnr(renamed) } }, 5000) or {}
  local _, reply = next(answer)
  check(reply ~= nil and reply.err == nil and reply.result ~= nil, '7 after :saveas the server knows the new name',
    vim.inspect(reply and reply.err))
  vim.cmd('buffer ' .. buf)

  -- 7d. A server that died: the commands say so at once, and how to start it again.
  local dying = require('stagecraft.server').client_for(buf)
  local pid = dying and dying.rpc and dying.rpc.pid
  if type(pid) == 'number' then
    vim.loop.kill(pid, 'sigkill')
    wait(5000, function()
      return client_id(buf) == nil
    end)
    local crash_notes = #notes
    local t0 = vim.loop.hrtime()
    vim.cmd('StagecraftTargets')
    local ms = (vim.loop.hrtime() - t0) / 1e6
    check(ms < 1000 and #notes > crash_notes and noted('exited (signal 9); run :StagecraftRestart to start it again', vim.log.levels.WARN),
      '7 after the server died, :StagecraftTargets says so and how to restart it, without waiting', ('%d ms'):format(ms))
    crash_notes = #notes
    vim.cmd('StagecraftGraph! mermaid')
    local said = vim.tbl_filter(function(n)
      return n.msg:find('exited (signal 9)', 1, true) ~= nil
    end, { unpack(notes, crash_notes + 1) })
    check(#said == 1, '7 and :StagecraftGraph says so too, drawing with the CLI', #said)
    vim.cmd('StagecraftRestart')
    check(wait(10000, function()
      return client_id(buf) ~= nil
    end), '7 and :StagecraftRestart starts it again')
    -- Ended with SIGTERM (Neovim says nothing of that signal): the plugin says so; a restart's own
    -- stop says nothing.
    local term_notes = #notes
    local ended = require('stagecraft.server').client_for(buf)
    vim.loop.kill(ended.rpc.pid, 'sigterm')
    check(wait(5000, function()
      return noted_since(term_notes, 'the language server was ended (signal 15); run :StagecraftRestart to start it again',
        vim.log.levels.WARN)
    end), '7 a server ended with SIGTERM is said to have ended, and how to restart it')
    vim.cmd('StagecraftRestart')
    check(wait(10000, function()
      return client_id(buf) ~= nil
    end), '7 and :StagecraftRestart starts it again after that')
    local restart_notes = #notes
    vim.cmd('StagecraftRestart')
    wait(10000, function()
      return client_id(buf) ~= nil
    end)
    vim.wait(300)
    check(not noted_since(restart_notes, 'was ended', vim.log.levels.WARN), '7 a restart\'s own stop is no news')
  else
    out('SKIP 7 a server that died (no pid on this Neovim\'s client.rpc)')
  end

  -- 8. Missing binary. ---------------------------------------------------------------------------
  local missing = work .. '/nonexistent/stagecraft'
  require('stagecraft').setup({ cmd = { missing, 'lsp' } })
  local ok7, err7 = pcall(vim.cmd, 'edit ' .. work .. '/other/Dockerfile')
  check(ok7, '8 opening a Dockerfile with a missing binary does not fail', err7)
  local other = vim.api.nvim_get_current_buf()
  check(noted(missing .. ' is not an executable file', vim.log.levels.ERROR)
    and noted('cargo install --path crates/cli', vim.log.levels.ERROR), '8 the error names the path and how to install')
  check(client_id(other) == nil, '8 no client is attached')
  vim.env.PATH = '/nonexistent-bin'
  require('stagecraft').setup({})
  before = #notes
  ok7, err7 = pcall(vim.cmd, 'StagecraftTargets')
  check(ok7, '8 :StagecraftTargets without a server does not fail', err7)
  check(noted('`stagecraft` is not on PATH nor in ~/.cargo/bin', vim.log.levels.ERROR),
    '8 with nothing on PATH it says where it looked')
  vim.env.PATH = work .. '/bin:/usr/bin:/bin'
  before = #notes
  require('stagecraft').setup({ cmd = 42 })
  check(noted('stagecraft: setup: cmd', vim.log.levels.ERROR), '8 setup{} with a wrong option type says which')
  -- Lists and maps are checked entry by entry (QA: `filetypes = { 5 }` crashed Neovim 0.7), and a
  -- failed setup says the plugin is off, as :checkhealth does.
  for _, case in ipairs({
    { { filetypes = { 'dockerfile', 5 } }, 'filetypes[2]: expected a non-empty string, got number' },
    { { cmd = '' }, "cmd: expected the server's program" },
    { { keymaps = { targets = true } }, 'keymaps.targets: expected the keys to map' },
    { { settings = { buildArgs = { 'GO=1.23' } } }, 'settings.buildArgs: expected NAME = value pairs, got a list' },
  }) do
    before = #notes
    require('stagecraft').setup(case[1])
    check(noted(case[2], vim.log.levels.ERROR) and noted('stagecraft is off until setup{} succeeds', vim.log.levels.ERROR),
      '8 setup{} checks each entry: ' .. case[2])
  end
  local health_lines = {}
  -- (The table health.lua reports through: vim.health, else 0.7's require('health').)
  local reporter = vim.health or require('health')
  local saved = {}
  for _, name in ipairs({ 'start', 'ok', 'info', 'warn', 'error', 'report_start', 'report_ok', 'report_info',
    'report_warn', 'report_error' }) do
    if reporter[name] then
      saved[name] = reporter[name]
      reporter[name] = function(msg)
        if name:match('error$') then
          table.insert(health_lines, msg)
        end
      end
    end
  end
  local health_ok, health_err = pcall(require('stagecraft.health').check)
  for name, f in pairs(saved) do
    reporter[name] = f
  end
  check(vim.tbl_contains(health_lines, 'setup{} failed: settings.buildArgs: expected NAME = value pairs, got a list (write { GO_VERSION = \'1.23\' })'),
    '8 :checkhealth says setup{} failed', vim.inspect({ health_lines, health_ok, health_err }))
  -- A program that exits before it answers `initialize` (an old stagecraft without `lsp`, another
  -- program): restarting would not help, and the message says what would.
  before = #notes
  require('stagecraft').setup({ cmd = { '/bin/true' } })
  pcall(vim.cmd, 'edit ' .. work .. '/early/Dockerfile')
  check(wait(5000, function()
    return noted('exited (code 0) before it started, so restarting will not help', vim.log.levels.ERROR)
  end) and noted('point `cmd` at another binary', vim.log.levels.ERROR), '8 a server that exits before it starts is said so')
  pcall(vim.cmd, 'bwipeout!')
  -- An unknown key (a typo) is no error, but is said, with the closest known one.
  local notes8 = #notes
  local ok8u = pcall(require('stagecraft').setup, { codelense = true, settings = { buildargs = { A = '1' } }, zzz = 1 })
  check(ok8u and noted_since(notes8, 'setup: unknown option `codelense`, ignored (did you mean `codelens`?)', vim.log.levels.WARN),
    '8 setup{} warns about an unknown option, with the closest known one')
  check(noted_since(notes8, 'setup: unknown setting `buildargs`, ignored (did you mean `buildArgs`?)', vim.log.levels.WARN),
    '8 and about an unknown setting')
  check(noted_since(notes8, 'setup: unknown option `zzz`, ignored (see :help stagecraft-options)', vim.log.levels.WARN),
    '8 a key close to none points to the help')
  notes8 = #notes
  require('stagecraft').update_settings({ platfrom = 'linux/arm64' })
  check(noted_since(notes8, 'update_settings: unknown setting `platfrom`, ignored (did you mean `platform`?)', vim.log.levels.WARN),
    '8 update_settings() too')
  notes8 = #notes
  require('stagecraft').setup({ codelens = false, settings = { platform = 'linux/arm64' } })
  check(not noted_since(notes8, 'unknown'), '8 known keys draw no warning')
  require('stagecraft').update_settings({ platform = '' })

  -- 9. :checkhealth. -----------------------------------------------------------------------------
  require('stagecraft').setup({})
  local ok8, err8 = pcall(vim.cmd, 'silent checkhealth stagecraft')
  local report = buffer_text(0)
  check(ok8 and report:find('stagecraft %d+%.%d+') and not report:find('ERROR'),
    '9 :checkhealth stagecraft finds the binary and its version', err8 or report)
  -- A `cmd` that answers --version without being stagecraft (any program exiting 0).
  require('stagecraft').setup({ cmd = { '/bin/true', 'lsp' }, autostart = false })
  pcall(vim.cmd, 'silent checkhealth stagecraft')
  report = buffer_text(0)
  check(report:find('ERROR', 1, true) and report:find('/bin/true is not the stagecraft binary: `--version` printed', 1, true),
    '9 a cmd that is no stagecraft binary (/bin/true) is an error, not OK', report)
  require('stagecraft').setup({})

  -- 9b. An unnamed Dockerfile buffer: the server needs a name; saved as a file, it attaches.
  -- (With keymaps and no code lenses: no key to run a lens.)
  require('stagecraft').setup({ keymaps = true })
  vim.cmd('enew')
  vim.cmd('setfiletype dockerfile')
  local unnamed = vim.api.nvim_get_current_buf()
  vim.api.nvim_buf_set_lines(unnamed, 0, -1, false, { 'FROM alpine AS a', 'FROM a' })
  before = #notes
  vim.cmd('StagecraftTargets')
  check(noted('save this buffer as a Dockerfile'), '9 :StagecraftTargets in an unnamed buffer says it needs a name')
  vim.cmd('silent write ' .. work .. '/project/app/saved.Dockerfile')
  check(wait(10000, function()
    return client_id(unnamed) ~= nil
  end), '9 saved under a name, the buffer gets the server')
  check(vim.fn.maparg('<leader>st', 'n') ~= '' and vim.fn.maparg('<leader>sl', 'n') == '',
    '9 keymaps without codelens map no key to run a lens')
  require('stagecraft').setup({})

  -- 10. autostart = false: a server started elsewhere (as nvim-lspconfig does) serves the commands.
  require('stagecraft').setup({ autostart = false })
  vim.cmd('edit ' .. work .. '/other/ext.Dockerfile')
  local other2 = vim.api.nvim_get_current_buf()
  eq(vim.bo.filetype, 'dockerfile', '10 ext.Dockerfile is a Dockerfile')
  check(not wait(300, function()
    return client_id(other2) ~= nil
  end), '10 autostart = false starts no server')
  local t10 = vim.loop.hrtime()
  local notes10 = #notes
  vim.cmd('StagecraftTargets')
  local ms10 = (vim.loop.hrtime() - t10) / 1e6
  check(ms10 < 1000 and #notes > notes10 and noted('autostart = false', vim.log.levels.WARN),
    '10 with no server started, :StagecraftTargets says so at once (no wait for a server that is not coming)',
    ('%d ms'):format(ms10))
  local ext = vim.lsp.start_client({
    name = 'stagecraft',
    cmd = { vim.fn.exepath('stagecraft'), 'lsp' },
    root_dir = work .. '/other',
    init_options = {
      buildArgs = { FROM_LSPCONFIG = 'yes' },
      namedContexts = { ['alpine:3.19'] = 'docker-image://alpine:3.20' },
    },
  })
  vim.lsp.buf_attach_client(other2, ext)
  wait(10000, function()
    local c = vim.lsp.get_client_by_id(ext)
    return c ~= nil and c.initialized == true
  end)
  eq(copied({ 'one', 'Copy command' }, function()
    vim.cmd('StagecraftTargets')
  end), 'docker build --target one --build-arg FROM_LSPCONFIG=yes '
    .. '--build-context alpine:3.19=docker-image://alpine:3.20 -f ' .. work .. '/other/ext.Dockerfile ' .. work .. '/other',
    "10 :StagecraftTargets uses that client, its build args and named contexts (a file outside cwd: absolute -f)")

  -- 11. The help file. ---------------------------------------------------------------------------
  local ok11, err11 = pcall(vim.cmd, 'helptags ' .. vim.fn.fnameescape(work .. '/rtp/doc'))
  check(ok11, '11 :helptags accepts doc/stagecraft.txt (no duplicate tags)', err11)
  vim.opt.runtimepath:append(work .. '/rtp')
  for _, tag in ipairs({ 'stagecraft', 'stagecraft-setup', ':StagecraftTargets', ':StagecraftGraph', 'stagecraft-lspconfig' }) do
    local okh, errh = pcall(vim.cmd, 'help ' .. tag)
    check(okh, '11 :help ' .. tag, errh)
  end
  vim.cmd('helpclose')

  -- 14. A server that crashed (kill -9), with codelens = true: its lenses go with it, a refresh
  -- (CursorHold) while no server runs blocks nothing, the lens key says the server exited (no
  -- Lua error), and after :StagecraftRestart each FROM has the new server's lenses, once. ------
  require('stagecraft').setup({ codelens = true, keymaps = true })
  local fresh = work .. '/fresh'
  vim.fn.mkdir(fresh .. '/.git', 'p')
  local fixture = vim.fn.readfile(plugin .. '/test/fixtures/Dockerfile')
  vim.fn.writefile(fixture, fresh .. '/Dockerfile')
  local children = {}
  for _, p in ipairs(vim.api.nvim_get_proc_children(vim.fn.getpid())) do
    children[p] = true
  end
  vim.cmd('edit ' .. fresh .. '/Dockerfile')
  local fbuf = vim.api.nvim_get_current_buf()
  wait(10000, function()
    return client_id(fbuf) ~= nil and #vim.lsp.codelens.get(fbuf) > 0
  end)
  local lens_total = #vim.lsp.codelens.get(fbuf)
  check(lens_total > 0, '14 the lenses of a fresh Dockerfile come', lens_total)
  local dead_id = client_id(fbuf)
  local dead = require('stagecraft.server').client_for(fbuf)
  -- The server's pid: client.rpc.pid (0.7), else the one child process this file started.
  local dead_pid = dead and dead.rpc and dead.rpc.pid
  if type(dead_pid) ~= 'number' then
    for _, p in ipairs(vim.api.nvim_get_proc_children(vim.fn.getpid())) do
      if not children[p] then
        dead_pid = p
      end
    end
  end
  --- How many lens lines client `id` has drawn in `b`.
  local function lens_marks(b, id)
    local namespaces = vim.lsp.codelens.__namespaces
    local ns = namespaces and namespaces[id] or vim.api.nvim_create_namespace('vim_lsp_codelens:' .. id)
    return #vim.api.nvim_buf_get_extmarks(b, ns, 0, -1, {})
  end
  check(lens_marks(fbuf, dead_id) > 0, '14 drawn', lens_marks(fbuf, dead_id))
  uv.kill(dead_pid, 'sigkill')
  wait(5000, function()
    return client_id(fbuf) == nil
  end)
  -- A refresh while no server runs (Neovim 0.7 then marked the buffer busy for good).
  vim.api.nvim_exec_autocmds('CursorHold', { buffer = fbuf })
  check(wait(2000, function()
    return #vim.lsp.codelens.get(fbuf) == 0 and lens_marks(fbuf, dead_id) == 0
  end), '14 the dead server\'s code lenses go with it', ('%d lenses, %d drawn'):format(
    #vim.lsp.codelens.get(fbuf), lens_marks(fbuf, dead_id)))
  local test_lnum = find('FROM build AS test')
  vim.api.nvim_win_set_cursor(0, { test_lnum, 0 })
  local notes14 = #notes
  local ok14, err14 = pcall(vim.cmd, 'normal \\sl')
  check(ok14 and noted_since(notes14, 'exited (signal 9); run :StagecraftRestart to start it again', vim.log.levels.WARN),
    '14 the lens key then says the server exited and how to restart it (no Lua error)', err14)
  vim.cmd('StagecraftRestart')
  local new_id
  check(wait(10000, function()
    new_id = client_id(fbuf)
    return new_id ~= nil and new_id ~= dead_id and lens_marks(fbuf, new_id) > 0
  end), '14 after :StagecraftRestart the new server\'s lenses come (the refresh without a server blocked nothing)',
    ('client %s, %d drawn'):format(new_id, new_id and lens_marks(fbuf, new_id) or 0))
  check(#vim.lsp.codelens.get(fbuf) == lens_total and lens_marks(fbuf, dead_id) == 0,
    '14 once: no lens of the dead server beside them', ('%d lenses, want %d; %d of the dead server drawn'):format(
      #vim.lsp.codelens.get(fbuf), lens_total, lens_marks(fbuf, dead_id)))
  script, shown = { 'target: test', 'Copy command' }, {}
  vim.fn.setreg('"', '')
  vim.api.nvim_win_set_cursor(0, { test_lnum, 0 })
  local ok14b, err14b = pcall(vim.cmd, 'normal \\sl')
  wait(5000, function()
    return vim.fn.getreg('"') ~= ''
  end)
  check(ok14b and vim.fn.getreg('"'):find('docker build --target test', 1, true) == 1,
    '14 and the lens key runs the new server\'s lens', err14b or vim.fn.getreg('"'))

  -- 15. :StagecraftRestart while the server is still starting (a `cmd` that takes half a second to
  -- start): the starting server is stopped too, one server is left on the buffer. -------------
  local slow = work .. '/bin/slow-stagecraft'
  vim.fn.writefile({ '#!/bin/sh', 'sleep 0.5', 'exec stagecraft "$@"' }, slow)
  vim.fn.setfperm(slow, 'rwxr-xr-x')
  require('stagecraft').setup({ cmd = { slow, 'lsp' }, codelens = true, keymaps = true })
  vim.fn.mkdir(work .. '/slow/.git', 'p')
  vim.fn.writefile(fixture, work .. '/slow/Dockerfile')
  vim.cmd('edit ' .. work .. '/slow/Dockerfile')
  local sbuf = vim.api.nvim_get_current_buf()
  check(require('stagecraft.server').starting(sbuf) and client_id(sbuf) == nil, '15 (the server is starting)')
  vim.cmd('StagecraftRestart')
  wait(10000, function()
    return client_id(sbuf) ~= nil
  end)
  -- A server left starting (it started first) would be attached by now.
  vim.wait(1000)
  local function buf_clients(b)
    local n = 0
    for _, c in pairs(vim.lsp.get_clients and vim.lsp.get_clients({ bufnr = b }) or vim.lsp.buf_get_clients(b)) do
      if c.name == 'stagecraft' then
        n = n + 1
      end
    end
    return n
  end
  eq(buf_clients(sbuf), 1, '15 :StagecraftRestart while the server starts leaves one server on the buffer')
  require('stagecraft').setup({ codelens = true, keymaps = true })

  -- 16. Unsaved changes: docker build reads the file on disk. The action picker says so, and
  -- offers to write the file before running, or to run the saved one; copying warns. --------
  vim.cmd('buffer ' .. fbuf)
  require('stagecraft.server').ready_client(fbuf)
  local function edit_unsaved(text)
    local n = vim.api.nvim_buf_line_count(fbuf)
    vim.api.nvim_buf_set_lines(fbuf, n, n, false, { text })
  end
  local function close_terminal(w)
    if vim.api.nvim_get_current_win() ~= w then
      close_split()
    end
    vim.cmd('stopinsert')
  end
  local win16 = vim.api.nvim_get_current_win()
  edit_unsaved('RUN echo written')
  local runs = #terminals
  script, shown = { 'Write the file, then run' }, {}
  vim.cmd('StagecraftTargets test')
  wait(5000, function()
    return #terminals > runs
  end)
  eq(shown[1] and table.concat(shown[1].items, '|'),
    'Copy command|Write the file, then run in terminal|Run in terminal without the unsaved changes',
    '16 with unsaved changes the actions say what they do with them')
  check(shown[1] and shown[1].prompt:find('/fresh/Dockerfile has unsaved changes; docker build reads the file on disk)', 1, true),
    '16 and the prompt says docker build reads the file on disk', shown[1] and shown[1].prompt)
  check(#terminals > runs and (read(fresh .. '/Dockerfile') or ''):find('RUN echo written', 1, true)
    and not vim.bo[fbuf].modified, '16 "Write the file, then run in terminal" writes it, then runs the build')
  close_terminal(win16)
  -- A file that cannot be written: the editor's reason in one line (0.7 hands it back with a Lua
  -- stack trace after it), and no build.
  edit_unsaved('RUN echo readonly')
  vim.bo[fbuf].readonly = true
  runs = #terminals
  local notes16w = #notes
  script, shown = { 'Write the file, then run' }, {}
  vim.cmd('StagecraftTargets test')
  wait(5000, function()
    return noted_since(notes16w, 'could not write', vim.log.levels.ERROR)
  end)
  local said16 = ''
  for i = notes16w + 1, #notes do
    if notes[i].msg:find('could not write', 1, true) then
      said16 = notes[i].msg
    end
  end
  check(said16:find("E45: 'readonly' option is set", 1, true) and not said16:find('\n', 1, true)
    and not said16:find('traceback', 1, true) and #terminals == runs,
    '16 a file that cannot be written: the reason in one line, and no build', said16)
  vim.bo[fbuf].readonly = false
  vim.api.nvim_buf_set_lines(fbuf, -2, -1, false, {})
  vim.cmd('silent write')
  edit_unsaved('RUN echo not written')
  runs = #terminals
  script, shown = { 'Run in terminal without' }, {}
  vim.cmd('StagecraftTargets test')
  wait(5000, function()
    return #terminals > runs
  end)
  check(#terminals > runs and not (read(fresh .. '/Dockerfile') or ''):find('not written', 1, true) and vim.bo[fbuf].modified,
    '16 "Run in terminal without the unsaved changes" runs the file on disk as it is')
  close_terminal(win16)
  local notes16 = #notes
  copied({ 'Copy command' }, function()
    vim.cmd('StagecraftTargets test')
  end)
  check(vim.fn.getreg('"') ~= '' and noted_since(notes16, 'has unsaved changes: docker build reads the file on disk', vim.log.levels.WARN),
    '16 "Copy command" copies, and warns the file is unsaved')
  vim.cmd('silent edit!')
  script, shown = { 'Copy command' }, {}
  vim.cmd('StagecraftTargets test')
  wait(5000, function()
    return #shown > 0
  end)
  eq(shown[1] and table.concat(shown[1].items, '|'), 'Copy command|Run in terminal', '16 saved: the two actions as before')

  -- 17. Completion and tags work out of the box: 'omnifunc' and 'tagfunc' use the server (0.7
  -- sets neither itself), unless the user set them. -------------------------------------------
  eq(vim.bo[fbuf].omnifunc, 'v:lua.vim.lsp.omnifunc', '17 \'omnifunc\' completes through the server (<C-x><C-o>)')
  eq(vim.bo[fbuf].tagfunc, 'v:lua.vim.lsp.tagfunc', '17 \'tagfunc\' too')
  local from_build = find('FROM build AS test')
  vim.api.nvim_win_set_cursor(0, { from_build, #'FROM b' })
  local ok17, err17 = pcall(vim.cmd, 'exe "normal! \\<C-]>"')
  eq(ok17 and vim.api.nvim_win_get_cursor(0)[1], find('FROM golang'), '17 <C-]> on a stage goes to its FROM ' .. (err17 or ''))
  vim.cmd('silent! pop')
  vim.fn.writefile({ 'FROM alpine' }, fresh .. '/own.Dockerfile')
  vim.api.nvim_create_autocmd('BufReadPre', {
    pattern = '*/own.Dockerfile',
    command = 'setlocal omnifunc=syntaxcomplete#Complete tagfunc=',
  })
  vim.cmd('edit ' .. fresh .. '/own.Dockerfile')
  local own = vim.api.nvim_get_current_buf()
  wait(10000, function()
    return client_id(own) ~= nil
  end)
  eq(vim.bo[own].omnifunc, 'syntaxcomplete#Complete', '17 an \'omnifunc\' the user set stays')

  -- 18. `:w | bw` with codelens = true: the lens refresh of the write is answered after the
  -- buffer is gone, and nothing tries to draw on it. -------------------------------------------
  vim.fn.writefile({ 'FROM alpine AS one', 'FROM one' }, fresh .. '/wipe.Dockerfile')
  vim.cmd('edit ' .. fresh .. '/wipe.Dockerfile')
  local wbuf = vim.api.nvim_get_current_buf()
  wait(10000, function()
    return client_id(wbuf) ~= nil and #vim.lsp.codelens.get(wbuf) > 0
  end)
  vim.api.nvim_buf_set_lines(wbuf, 2, 2, false, { 'FROM one AS two' })
  vim.v.errmsg = ''
  local messages = vim.fn.execute('messages')
  local ok18, err18 = pcall(vim.cmd, 'silent write | bwipeout')
  vim.wait(1000)
  local said = vim.fn.execute('messages'):sub(#messages + 1)
  check(ok18 and not vim.api.nvim_buf_is_valid(wbuf) and vim.v.errmsg == '' and not said:find('Invalid buffer', 1, true),
    '18 `:w | bw` leaves no error behind (no lens drawn on the wiped buffer)', (err18 or '') .. vim.v.errmsg .. said)

end

local ran, crash = xpcall(main, debug.traceback)
check(ran, 'the test script runs without a Lua error', crash)

for _, c in ipairs(require('stagecraft.server').clients()) do
  if vim.fn.has('nvim-0.11') == 1 then
    c:stop()
  else
    c.stop()
  end
end
out(('DONE %d passed, %d failed'):format(passed, failed))
if failed == 0 then
  vim.cmd('qall!')
else
  vim.cmd('cquit 1')
end
