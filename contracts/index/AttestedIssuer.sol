// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {EIP712Upgradeable} from "@openzeppelin/contracts-upgradeable/utils/cryptography/EIP712Upgradeable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ProtocolUpgradeable} from "../access/ProtocolUpgradeable.sol";
import {IAttestedIssuer} from "../interfaces/IAttestedIssuer.sol";
import {ICustodyRegistry} from "../interfaces/ICustodyRegistry.sol";
import {ICustodyVault} from "../interfaces/ICustodyVault.sol";
import {IIndexToken} from "../interfaces/IIndexToken.sol";
import {BasketMath} from "./libraries/BasketMath.sol";

/**
 * @title AttestedIssuer
 * @notice Mints and redeems index tokens whose basket holds custodian assets against custodian attestations.
 * See {IAttestedIssuer}.
 * @dev Holds only the escrow of pending requests: cash of mints, index tokens of redeems not yet accepted and
 * the PMM's cash of accepted ones.
 * The custodian signers, wallets and assets are the CustodyRegistry's; this contract adds what a leg settles
 * (request, transaction id once, basket amount, the PMM's destination on redeems). On-chain basket legs move
 * through CustodyVault only when a request completes, so they never sit here.
 */
contract AttestedIssuer is IAttestedIssuer, ProtocolUpgradeable, EIP712Upgradeable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @dev The AttestedRebalancer's role (no public getter: this contract has no bytecode to spare).
    bytes32 private constant REBALANCER_ROLE = keccak256("REBALANCER_ROLE");
    /// @inheritdoc IAttestedIssuer
    /// @dev Hard cap on how long a request can hold a requester's cash (as the Issuer's).
    uint256 public constant MAX_REQUEST_TIMEOUT = 7 days;
    string private constant DOMAIN_NAME = "SSI Custody";
    string private constant DOMAIN_VERSION = "1";
    bytes32 private constant CUSTODY_LEG_TYPEHASH = keccak256(
        "CustodyLeg(bytes32 requestId,uint8 direction,bytes32 chain,bytes32 asset,uint256 amount,"
        "bytes32 txId,bytes32 wallet,bytes32 counterparty)"
    );

    /// @custom:storage-location erc7201:ssi.storage.AttestedIssuer
    struct AttestedIssuerStorage {
        ICustodyRegistry registry;
        uint256 requestTimeout;
        uint256 requestCount;
        mapping(address index => bool) indexes;
        mapping(address token => bool) cashTokens;
        mapping(bytes32 requestId => MintRequest) mints;
        mapping(bytes32 requestId => mapping(address asset => uint256 amount)) legs;
        mapping(bytes32 chain => mapping(bytes32 txId => bool)) usedTxIds;
        mapping(address index => mapping(address asset => uint256 amount)) custody;
        ICustodyVault custodyVault;
        mapping(bytes32 requestId => RedeemRequest) redeems;
        mapping(bytes32 requestId => mapping(address asset => bytes32 destination)) destinations;
        mapping(bytes32 requestId => mapping(address asset => uint256 amount)) due;
        mapping(bytes32 requestId => address[]) redeemAssets;
    }

    /// @dev A basket as read when a request is checked or settled; `custodian[i]` is the registry's mode of `assets[i]`.
    struct Basket {
        address[] assets;
        uint256[] baseUnits;
        uint256 factor;
        bool[] custodian;
    }

    // keccak256(abi.encode(uint256(keccak256("ssi.storage.AttestedIssuer")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant ATTESTED_ISSUER_STORAGE_LOCATION =
        0x7c7594205946f1a5b0378ea0997cb8c9bde5b8c0ae0ff2e911e494068a6c1100;

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @inheritdoc IAttestedIssuer
    function initialize(address admin, address registry_, uint256 requestTimeout_) external initializer {
        if (registry_ == address(0)) revert ZeroAddress();
        __ProtocolUpgradeable_init(admin);
        __EIP712_init(DOMAIN_NAME, DOMAIN_VERSION);
        _getAttestedIssuerStorage().registry = ICustodyRegistry(registry_);
        _setRequestTimeout(requestTimeout_);
    }

    /// @inheritdoc IAttestedIssuer
    function setIndex(address index, bool allowed) external onlyRole(OPERATOR_ROLE) {
        if (index == address(0)) revert ZeroAddress();
        _getAttestedIssuerStorage().indexes[index] = allowed;
        emit IndexSet(index, allowed);
    }

    /// @inheritdoc IAttestedIssuer
    function setCashToken(address token, bool allowed) external onlyRole(OPERATOR_ROLE) {
        if (token == address(0)) revert ZeroAddress();
        _getAttestedIssuerStorage().cashTokens[token] = allowed;
        emit CashTokenSet(token, allowed);
    }

    /// @inheritdoc IAttestedIssuer
    function setRequestTimeout(uint256 timeout) external onlyRole(OPERATOR_ROLE) {
        _setRequestTimeout(timeout);
    }

    /// @inheritdoc IAttestedIssuer
    function setCustodyVault(address vault) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (vault == address(0)) revert ZeroAddress();
        _getAttestedIssuerStorage().custodyVault = ICustodyVault(vault);
        emit CustodyVaultSet(vault);
    }

    /// @inheritdoc IAttestedIssuer
    function useTxId(bytes32 chain, bytes32 txId) external onlyRole(REBALANCER_ROLE) {
        _useTxId(_getAttestedIssuerStorage(), chain, txId);
    }

    /// @inheritdoc IAttestedIssuer
    function rebalanceCustody(address index, address asset, uint256 received, uint256 released)
        external
        onlyRole(REBALANCER_ROLE)
    {
        mapping(address => uint256) storage book = _getAttestedIssuerStorage().custody[index];
        uint256 amount = book[asset] + received - released;
        book[asset] = amount;
        emit CustodyRebalanced(index, asset, amount);
    }

    /// @inheritdoc IAttestedIssuer
    function requestMint(address index, uint256 indexAmount, address cashToken, uint256 cashAmount, address pmm)
        external
        nonReentrant
        whenNotPaused
        returns (bytes32 requestId)
    {
        AttestedIssuerStorage storage $ = _getAttestedIssuerStorage();
        uint64 deadline;
        (requestId, deadline) = _openRequest($, index, indexAmount, cashToken, cashAmount, pmm);
        $.mints[requestId] = MintRequest({
            requester: msg.sender,
            pmm: pmm,
            index: index,
            cashToken: cashToken,
            cashAmount: cashAmount,
            indexAmount: indexAmount,
            deadline: deadline,
            legsAttested: 0,
            status: RequestStatus.Pending
        });
        emit MintRequested(requestId, msg.sender, pmm, index, indexAmount, cashToken, cashAmount, deadline);
        IERC20(cashToken).safeTransferFrom(msg.sender, address(this), cashAmount);
    }

    /// @inheritdoc IAttestedIssuer
    function attestMint(bytes32 requestId, CustodyLeg[] calldata legs, bytes[] calldata signatures)
        external
        nonReentrant
        whenNotPaused
        returns (bool completed)
    {
        if (legs.length != signatures.length) revert LegCountMismatch(legs.length, signatures.length);
        AttestedIssuerStorage storage $ = _getAttestedIssuerStorage();
        MintRequest storage request = $.mints[requestId];
        if (request.status != RequestStatus.Pending) revert RequestNotPending(requestId, uint8(request.status));
        if (block.timestamp > request.deadline) revert RequestExpired(requestId, request.deadline);
        Basket memory basket = _readBasket($, request.index);
        for (uint256 i; i < legs.length; ++i) {
            uint256 k = _verifyLeg($, requestId, LegDirection.Received, legs[i], basket);
            uint256 required = BasketMath.amountFor(request.indexAmount, basket.baseUnits[k], basket.factor, true);
            if (legs[i].amount < required) revert ShortDelivery(basket.assets[k], legs[i].amount, required);
            _recordLeg($, requestId, basket.assets[k], legs[i], signatures[i]);
        }
        // Cannot truncate: each accepted leg is a distinct basket asset, and a basket holds at most 32.
        request.legsAttested += uint8(legs.length);
        if (!_allLegsAttested($, requestId, request.legsAttested, basket)) return false;
        // On-chain legs are pulled from the PMM's allowance: only its own submission completes such a mint, so a
        // requester cannot spend that allowance by naming it.
        if (msg.sender != request.pmm) {
            for (uint256 i; i < basket.custodian.length; ++i) {
                if (!basket.custodian[i]) return false;
            }
        }
        request.status = RequestStatus.Completed;
        uint256[] memory onchainLegs = _bookMint($, requestId, request.index, request.indexAmount, basket);
        emit MintCompleted(requestId);
        IIndexToken(request.index).mint(request.requester, request.indexAmount);
        for (uint256 i; i < basket.assets.length; ++i) {
            if (onchainLegs[i] != 0) {
                IERC20(basket.assets[i]).safeTransferFrom(request.pmm, address($.custodyVault), onchainLegs[i]);
            }
        }
        IERC20(request.cashToken).safeTransfer(request.pmm, request.cashAmount);
        return true;
    }

    /// @inheritdoc IAttestedIssuer
    function refundMint(bytes32 requestId) external nonReentrant {
        MintRequest storage request = _getAttestedIssuerStorage().mints[requestId];
        if (request.status != RequestStatus.Pending) revert RequestNotPending(requestId, uint8(request.status));
        if (block.timestamp <= request.deadline) revert RequestNotExpired(requestId, request.deadline);
        request.status = RequestStatus.Refunded;
        emit MintRefunded(requestId);
        IERC20(request.cashToken).safeTransfer(request.requester, request.cashAmount);
    }

    /// @inheritdoc IAttestedIssuer
    function requestRedeem(address index, uint256 indexAmount, address cashToken, uint256 cashAmount, address pmm)
        external
        nonReentrant
        whenNotPaused
        returns (bytes32 requestId)
    {
        AttestedIssuerStorage storage $ = _getAttestedIssuerStorage();
        uint64 deadline;
        (requestId, deadline) = _openRequest($, index, indexAmount, cashToken, cashAmount, pmm);
        $.redeems[requestId] = RedeemRequest({
            requester: msg.sender,
            pmm: pmm,
            index: index,
            cashToken: cashToken,
            cashAmount: cashAmount,
            indexAmount: indexAmount,
            deadline: deadline,
            legsAttested: 0,
            legsDue: 0,
            accepted: false,
            status: RequestStatus.Pending
        });
        emit RedeemRequested(requestId, msg.sender, pmm, index, indexAmount, cashToken, cashAmount, deadline);
        IERC20(index).safeTransferFrom(msg.sender, address(this), indexAmount);
    }

    /// @inheritdoc IAttestedIssuer
    function acceptRedeem(bytes32 requestId, bytes32[] calldata destinations) external nonReentrant whenNotPaused {
        AttestedIssuerStorage storage $ = _getAttestedIssuerStorage();
        RedeemRequest storage request = $.redeems[requestId];
        if (request.status != RequestStatus.Pending) revert RequestNotPending(requestId, uint8(request.status));
        if (block.timestamp > request.deadline) revert RequestExpired(requestId, request.deadline);
        if (msg.sender != request.pmm) revert NotRequestPmm(requestId, request.pmm);
        if (request.accepted) revert RedeemAlreadyAccepted(requestId);
        // Acceptance burns part of the basket; a pending rebalance (either rebalancer freezes the basket) fixed its
        // sells against the basket of its opening, so burning now could leave a sell above the basket at completion.
        if (IIndexToken(request.index).feeState().rebalancing) revert IndexRebalancing(request.index);
        Basket memory basket = _readBasket($, request.index);
        if (destinations.length != basket.assets.length) {
            revert DestinationCountMismatch(destinations.length, basket.assets.length);
        }
        uint256[] memory amounts = new uint256[](basket.assets.length);
        uint8 legsDue;
        for (uint256 i; i < basket.assets.length; ++i) {
            address asset = basket.assets[i];
            amounts[i] = BasketMath.amountFor(request.indexAmount, basket.baseUnits[i], basket.factor, false);
            $.due[requestId][asset] = amounts[i];
            $.redeemAssets[requestId].push(asset);
            if (!basket.custodian[i] || amounts[i] == 0) continue;
            if (destinations[i] == bytes32(0)) revert ZeroDestination(asset);
            $.destinations[requestId][asset] = destinations[i];
            $.custody[request.index][asset] -= amounts[i];
            ++legsDue;
        }
        request.accepted = true;
        request.legsDue = legsDue;
        emit RedeemAccepted(requestId, msg.sender, basket.assets, amounts, destinations);
        IIndexToken(request.index).burn(address(this), request.indexAmount);
        IERC20(request.cashToken).safeTransferFrom(msg.sender, address(this), request.cashAmount);
        if (legsDue == 0) {
            request.status = RequestStatus.Completed;
            emit RedeemCompleted(requestId);
            _payRedeem($, requestId, request);
        }
    }

    /// @inheritdoc IAttestedIssuer
    function attestRedeem(bytes32 requestId, CustodyLeg[] calldata legs, bytes[] calldata signatures)
        external
        nonReentrant
        whenNotPaused
        returns (bool completed)
    {
        if (legs.length == 0 || legs.length != signatures.length) revert LegCountMismatch(legs.length, signatures.length);
        AttestedIssuerStorage storage $ = _getAttestedIssuerStorage();
        RedeemRequest storage request = $.redeems[requestId];
        bool settled = request.status == RequestStatus.Settled;
        if (!settled) {
            if (request.status != RequestStatus.Pending) revert RequestNotPending(requestId, uint8(request.status));
            if (block.timestamp > request.deadline) revert RequestExpired(requestId, request.deadline);
            if (!request.accepted) revert RedeemNotAccepted(requestId);
        }
        for (uint256 i; i < legs.length; ++i) {
            _acceptRelease($, requestId, settled, legs[i], signatures[i]);
        }
        if (settled) return false;
        // Cannot truncate: each accepted leg is a distinct basket asset, and a basket holds at most 32.
        request.legsAttested += uint8(legs.length);
        if (request.legsAttested < request.legsDue) return false;
        request.status = RequestStatus.Completed;
        emit RedeemCompleted(requestId);
        _payRedeem($, requestId, request);
        return true;
    }

    /// @inheritdoc IAttestedIssuer
    function refundRedeem(bytes32 requestId) external nonReentrant {
        AttestedIssuerStorage storage $ = _getAttestedIssuerStorage();
        RedeemRequest storage request = $.redeems[requestId];
        if (request.status != RequestStatus.Pending) revert RequestNotPending(requestId, uint8(request.status));
        if (block.timestamp <= request.deadline) revert RequestNotExpired(requestId, request.deadline);
        if (!request.accepted) {
            request.status = RequestStatus.Refunded;
            emit RedeemRefunded(requestId);
            IERC20(request.index).safeTransfer(request.requester, request.indexAmount);
            return;
        }
        address[] storage assets = $.redeemAssets[requestId];
        if (request.legsAttested == 0 && _dueCoversBasket($, requestId, request)) {
            request.status = RequestStatus.Refunded;
            for (uint256 i; i < assets.length; ++i) {
                if ($.destinations[requestId][assets[i]] != bytes32(0)) {
                    $.custody[request.index][assets[i]] += $.due[requestId][assets[i]];
                }
            }
            emit RedeemRefunded(requestId);
            IIndexToken(request.index).mint(request.requester, request.indexAmount);
            IERC20(request.cashToken).safeTransfer(request.pmm, request.cashAmount);
            return;
        }
        // Units already left custody for the PMM, whose cash is escrowed, or a rebalance since the acceptance changed the
        // basket beyond the amounts it fixed: re-minting the tokens would leave them uncovered, so the redeem settles and
        // the custodian owes the PMM the rest.
        request.status = RequestStatus.Settled;
        emit RedeemSettled(requestId);
        _payRedeem($, requestId, request);
    }

    /// @inheritdoc IAttestedIssuer
    function getMintRequest(bytes32 requestId) external view returns (MintRequest memory) {
        return _getAttestedIssuerStorage().mints[requestId];
    }

    /// @inheritdoc IAttestedIssuer
    function getRedeemRequest(bytes32 requestId) external view returns (RedeemRequest memory) {
        return _getAttestedIssuerStorage().redeems[requestId];
    }

    /// @inheritdoc IAttestedIssuer
    function redeemDestination(bytes32 requestId, address asset) external view returns (bytes32) {
        return _getAttestedIssuerStorage().destinations[requestId][asset];
    }

    /// @inheritdoc IAttestedIssuer
    function redeemDue(bytes32 requestId, address asset) external view returns (uint256) {
        return _getAttestedIssuerStorage().due[requestId][asset];
    }

    /// @inheritdoc IAttestedIssuer
    function custodyVault() external view returns (address) {
        return address(_getAttestedIssuerStorage().custodyVault);
    }

    /// @inheritdoc IAttestedIssuer
    function attestedLeg(bytes32 requestId, address asset) external view returns (uint256) {
        return _getAttestedIssuerStorage().legs[requestId][asset];
    }

    /// @inheritdoc IAttestedIssuer
    function attestedCustody(address index, address asset) external view returns (uint256) {
        return _getAttestedIssuerStorage().custody[index][asset];
    }

    /// @inheritdoc IAttestedIssuer
    function isTxIdUsed(bytes32 chain, bytes32 txId) external view returns (bool) {
        return _getAttestedIssuerStorage().usedTxIds[chain][txId];
    }

    /// @inheritdoc IAttestedIssuer
    function isIndexAllowed(address index) external view returns (bool) {
        return _getAttestedIssuerStorage().indexes[index];
    }

    /// @inheritdoc IAttestedIssuer
    function isCashToken(address token) external view returns (bool) {
        return _getAttestedIssuerStorage().cashTokens[token];
    }

    /// @inheritdoc IAttestedIssuer
    function requestTimeout() external view returns (uint256) {
        return _getAttestedIssuerStorage().requestTimeout;
    }

    /// @inheritdoc IAttestedIssuer
    function registry() external view returns (address) {
        return address(_getAttestedIssuerStorage().registry);
    }

    /// @inheritdoc IAttestedIssuer
    function hashLeg(CustodyLeg calldata leg) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(CUSTODY_LEG_TYPEHASH, leg)));
    }

    /// @dev The checks shared by mint and redeem requests; returns a fresh id and the deadline.
    function _openRequest(
        AttestedIssuerStorage storage $,
        address index,
        uint256 indexAmount,
        address cashToken,
        uint256 cashAmount,
        address pmm
    ) private returns (bytes32 requestId, uint64 deadline) {
        if (!$.indexes[index]) revert UnknownIndex(index);
        if (!$.cashTokens[cashToken]) revert CashTokenNotAllowed(cashToken);
        if (pmm == address(0)) revert ZeroAddress();
        if (indexAmount == 0 || cashAmount == 0) revert ZeroAmount();
        Basket memory basket = _readBasket($, index);
        bool anyCustodian;
        for (uint256 i; i < basket.assets.length; ++i) {
            if (basket.custodian[i]) {
                anyCustodian = true;
                continue;
            }
            try $.registry.assetOf(basket.assets[i]) {}
            catch {
                revert UnregisteredAsset(index, basket.assets[i]);
            }
            if (address($.custodyVault) == address(0)) revert NoCustodyVault(index);
        }
        if (!anyCustodian) revert NoCustodianAsset(index);
        requestId = keccak256(abi.encode(block.chainid, address(this), ++$.requestCount));
        deadline = uint64(block.timestamp + $.requestTimeout);
    }

    function _readBasket(AttestedIssuerStorage storage $, address index) private view returns (Basket memory basket) {
        (basket.assets, basket.baseUnits, basket.factor) = IIndexToken(index).baseTokenset();
        basket.custodian = new bool[](basket.assets.length);
        for (uint256 i; i < basket.assets.length; ++i) {
            basket.custodian[i] = $.registry.isCustodian(basket.assets[i]);
        }
    }

    /**
     * @dev The checks every leg passes whatever it settles: request, direction, custodian signature,
     * registered wallet, transaction id never used (marked used here: a later failing check reverts it), a
     * custodian asset of `basket` with no leg yet for the request. Returns the asset's position in `basket`.
     */
    function _verifyLeg(
        AttestedIssuerStorage storage $,
        bytes32 requestId,
        LegDirection direction,
        CustodyLeg calldata leg,
        Basket memory basket
    ) private returns (uint256 k) {
        address asset = _verifyNative($, requestId, direction, leg);
        for (k = 0; k < basket.assets.length; ++k) {
            if (basket.assets[k] == asset && basket.custodian[k]) break;
        }
        if (k == basket.assets.length) revert AssetNotInBasket(asset);
        if ($.legs[requestId][asset] != 0) revert LegAlreadyAttested(requestId, asset);
    }

    /// @dev Request, direction, wallet and transaction-id checks; returns the leg's placeholder asset.
    function _verifyNative(AttestedIssuerStorage storage $, bytes32 requestId, LegDirection direction, CustodyLeg calldata leg)
        private
        returns (address asset)
    {
        if (leg.requestId != requestId) revert LegForOtherRequest(requestId, leg.requestId);
        if (leg.direction != uint8(direction)) revert WrongDirection(leg.direction);
        ICustodyRegistry registry_ = $.registry;
        if (!registry_.isWallet(leg.chain, leg.wallet)) revert WalletNotRegistered(leg.chain, leg.wallet);
        _useTxId($, leg.chain, leg.txId);
        asset = registry_.placeholderOf(leg.chain, leg.asset);
    }

    /// @dev Marks a native transaction id used, once across mints, redeems and attested rebalances.
    function _useTxId(AttestedIssuerStorage storage $, bytes32 chain, bytes32 txId) private {
        if ($.usedTxIds[chain][txId]) revert TxIdAlreadyUsed(chain, txId);
        $.usedTxIds[chain][txId] = true;
    }

    /**
     * @dev One `Released` leg: the common native checks, then a custodian asset due on acceptance (for a settled
     * redeem: still owed) without a leg yet, to the PMM's destination, exactly the fixed amount.
     */
    function _acceptRelease(
        AttestedIssuerStorage storage $,
        bytes32 requestId,
        bool settled,
        CustodyLeg calldata leg,
        bytes calldata signature
    ) private {
        address asset = _verifyNative($, requestId, LegDirection.Released, leg);
        bytes32 destination = $.destinations[requestId][asset];
        // Only custodian assets with a non-zero amount got a destination on acceptance.
        bool released = $.legs[requestId][asset] != 0;
        if (settled && (destination == bytes32(0) || released)) revert NothingOwed(requestId, asset);
        if (destination == bytes32(0)) revert AssetNotInBasket(asset);
        if (released) revert LegAlreadyAttested(requestId, asset);
        if (leg.counterparty != destination) revert WrongCounterparty(asset, leg.counterparty, destination);
        uint256 due = $.due[requestId][asset];
        if (leg.amount < due) revert ShortDelivery(asset, leg.amount, due);
        if (leg.amount > due) revert ExcessRelease(asset, leg.amount, due);
        _recordLeg($, requestId, asset, leg, signature);
    }

    /// @dev Checks the custodian's signature last (the costliest check) and records the leg.
    function _recordLeg(
        AttestedIssuerStorage storage $,
        bytes32 requestId,
        address asset,
        CustodyLeg calldata leg,
        bytes calldata signature
    ) private {
        address signer = ECDSA.recover(hashLeg(leg), signature);
        if (!$.registry.isSigner(signer)) revert NotCustodianSigner(signer);
        $.legs[requestId][asset] = leg.amount;
        emit LegAttested(requestId, asset, leg.txId, leg.amount, leg.wallet, leg.counterparty, signer);
    }

    /// @dev Whether the amounts an accepted redeem fixed still cover its index amount in the basket of now (a rebalance
    /// completed since the acceptance may have raised an asset or added one), so re-minting it leaves custody whole.
    function _dueCoversBasket(AttestedIssuerStorage storage $, bytes32 requestId, RedeemRequest storage request)
        private
        view
        returns (bool)
    {
        Basket memory basket = _readBasket($, request.index);
        for (uint256 i; i < basket.assets.length; ++i) {
            uint256 owed = BasketMath.amountFor(request.indexAmount, basket.baseUnits[i], basket.factor, false);
            if ($.due[requestId][basket.assets[i]] < owed) return false;
        }
        return true;
    }

    /// @dev Whether every custodian asset of the current basket has a leg (a tokenset change while pending can
    /// leave legs for assets no longer in the basket, so the count alone is not enough).
    function _allLegsAttested(AttestedIssuerStorage storage $, bytes32 requestId, uint8 legsAttested, Basket memory basket)
        private
        view
        returns (bool)
    {
        if (legsAttested == 0) return false;
        for (uint256 i; i < basket.assets.length; ++i) {
            if (basket.custodian[i] && $.legs[requestId][basket.assets[i]] == 0) return false;
        }
        return true;
    }

    /**
     * @dev Books a completing mint's custodian legs into attested custody and returns the on-chain legs the PMM
     * delivers to CustodyVault: `ceil` basket amounts, zero for custodian assets. Each custodian leg is checked
     * again against the basket of now: one attested before a rebalance completed was sized for the old basket,
     * and booking it short would leave custody under basket x supply.
     */
    function _bookMint(
        AttestedIssuerStorage storage $,
        bytes32 requestId,
        address index,
        uint256 indexAmount,
        Basket memory basket
    ) private returns (uint256[] memory onchainLegs) {
        onchainLegs = new uint256[](basket.assets.length);
        for (uint256 i; i < basket.assets.length; ++i) {
            address asset = basket.assets[i];
            uint256 required = BasketMath.amountFor(indexAmount, basket.baseUnits[i], basket.factor, true);
            if (!basket.custodian[i]) {
                onchainLegs[i] = required;
                continue;
            }
            uint256 leg = $.legs[requestId][asset];
            if (leg < required) revert ShortDelivery(asset, leg, required);
            $.custody[index][asset] += leg;
        }
    }

    /// @dev The payments of a completed or settled redeem: the on-chain legs fixed on acceptance from
    /// CustodyVault to the PMM, the escrowed cash to the requester.
    function _payRedeem(AttestedIssuerStorage storage $, bytes32 requestId, RedeemRequest storage request) private {
        address[] storage assets = $.redeemAssets[requestId];
        uint256 onchainCount;
        for (uint256 i; i < assets.length; ++i) {
            if ($.destinations[requestId][assets[i]] == bytes32(0) && $.due[requestId][assets[i]] != 0) ++onchainCount;
        }
        if (onchainCount != 0) {
            address[] memory legAssets = new address[](onchainCount);
            uint256[] memory legAmounts = new uint256[](onchainCount);
            uint256 j;
            for (uint256 i; i < assets.length; ++i) {
                uint256 due = $.due[requestId][assets[i]];
                if ($.destinations[requestId][assets[i]] != bytes32(0) || due == 0) continue;
                legAssets[j] = assets[i];
                legAmounts[j++] = due;
            }
            $.custodyVault.release(request.index, request.pmm, legAssets, legAmounts);
        }
        IERC20(request.cashToken).safeTransfer(request.requester, request.cashAmount);
    }

    function _setRequestTimeout(uint256 timeout) private {
        if (timeout == 0 || timeout > MAX_REQUEST_TIMEOUT) revert TimeoutOutOfRange(timeout, MAX_REQUEST_TIMEOUT);
        _getAttestedIssuerStorage().requestTimeout = timeout;
        emit RequestTimeoutSet(timeout);
    }

    /// @dev The domain name is a constant, so signing and checking never read it from storage.
    function _EIP712Name() internal pure override returns (string memory) {
        return DOMAIN_NAME;
    }

    /// @dev The domain version is a constant, so signing and checking never read it from storage.
    function _EIP712Version() internal pure override returns (string memory) {
        return DOMAIN_VERSION;
    }

    function _getAttestedIssuerStorage() private pure returns (AttestedIssuerStorage storage $) {
        assembly {
            $.slot := ATTESTED_ISSUER_STORAGE_LOCATION
        }
    }
}
