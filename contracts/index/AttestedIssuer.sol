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
import {IIndexToken} from "../interfaces/IIndexToken.sol";
import {BasketMath} from "./libraries/BasketMath.sol";

/**
 * @title AttestedIssuer
 * @notice Mints index tokens whose basket holds custodian assets against custodian attestations. See {IAttestedIssuer}.
 * @dev Holds only the cash escrow of pending mints. The custodian signers, wallets and assets are the
 * CustodyRegistry's; this contract adds what a leg settles (request, transaction id once, basket amount).
 */
contract AttestedIssuer is IAttestedIssuer, ProtocolUpgradeable, EIP712Upgradeable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

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
    }

    // keccak256(abi.encode(uint256(keccak256("ssi.storage.AttestedIssuer")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0x7c7594205946f1a5b0378ea0997cb8c9bde5b8c0ae0ff2e911e494068a6c1100;

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @inheritdoc IAttestedIssuer
    function initialize(address admin, address registry_, uint256 requestTimeout_) external initializer {
        if (registry_ == address(0)) revert ZeroAddress();
        __ProtocolUpgradeable_init(admin);
        __EIP712_init(DOMAIN_NAME, DOMAIN_VERSION);
        _getStorage().registry = ICustodyRegistry(registry_);
        _setRequestTimeout(requestTimeout_);
    }

    /// @inheritdoc IAttestedIssuer
    function setIndex(address index, bool allowed) external onlyRole(OPERATOR_ROLE) {
        if (index == address(0)) revert ZeroAddress();
        _getStorage().indexes[index] = allowed;
        emit IndexSet(index, allowed);
    }

    /// @inheritdoc IAttestedIssuer
    function setCashToken(address token, bool allowed) external onlyRole(OPERATOR_ROLE) {
        if (token == address(0)) revert ZeroAddress();
        _getStorage().cashTokens[token] = allowed;
        emit CashTokenSet(token, allowed);
    }

    /// @inheritdoc IAttestedIssuer
    function setRequestTimeout(uint256 timeout) external onlyRole(OPERATOR_ROLE) {
        _setRequestTimeout(timeout);
    }

    /// @inheritdoc IAttestedIssuer
    function requestMint(address index, uint256 indexAmount, address cashToken, uint256 cashAmount, address pmm)
        external
        nonReentrant
        whenNotPaused
        returns (bytes32 requestId)
    {
        AttestedIssuerStorage storage $ = _getStorage();
        if (!$.indexes[index]) revert UnknownIndex(index);
        if (!$.cashTokens[cashToken]) revert CashTokenNotAllowed(cashToken);
        if (pmm == address(0)) revert ZeroAddress();
        if (indexAmount == 0 || cashAmount == 0) revert ZeroAmount();
        (address[] memory assets,,) = IIndexToken(index).baseTokenset();
        for (uint256 i; i < assets.length; ++i) {
            if (!$.registry.isCustodian(assets[i])) revert NotCustodianAsset(index, assets[i]);
        }
        requestId = keccak256(abi.encode(block.chainid, address(this), ++$.requestCount));
        uint64 deadline = uint64(block.timestamp + $.requestTimeout);
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
        if (legs.length == 0 || legs.length != signatures.length) revert LegCountMismatch(legs.length, signatures.length);
        AttestedIssuerStorage storage $ = _getStorage();
        MintRequest storage request = $.mints[requestId];
        if (request.status != RequestStatus.Pending) revert RequestNotPending(requestId, request.status);
        if (block.timestamp > request.deadline) revert RequestExpired(requestId, request.deadline);
        (address[] memory assets, uint256[] memory baseUnits, uint256 factor) = IIndexToken(request.index).baseTokenset();
        for (uint256 i; i < legs.length; ++i) {
            _acceptLeg($, requestId, request.indexAmount, legs[i], signatures[i], assets, baseUnits, factor);
        }
        // Cannot truncate: each accepted leg is a distinct basket asset, and a basket holds at most 32.
        request.legsAttested += uint8(legs.length);
        if (request.legsAttested < assets.length) return false;
        // A tokenset change while pending can leave legs for assets no longer in the basket: count only current ones.
        for (uint256 i; i < assets.length; ++i) {
            if ($.legs[requestId][assets[i]] == 0) return false;
        }
        request.status = RequestStatus.Completed;
        for (uint256 i; i < assets.length; ++i) {
            $.custody[request.index][assets[i]] += $.legs[requestId][assets[i]];
        }
        emit MintCompleted(requestId);
        IIndexToken(request.index).mint(request.requester, request.indexAmount);
        IERC20(request.cashToken).safeTransfer(request.pmm, request.cashAmount);
        return true;
    }

    /// @inheritdoc IAttestedIssuer
    function refundMint(bytes32 requestId) external nonReentrant {
        MintRequest storage request = _getStorage().mints[requestId];
        if (request.status != RequestStatus.Pending) revert RequestNotPending(requestId, request.status);
        if (block.timestamp <= request.deadline) revert RequestNotExpired(requestId, request.deadline);
        request.status = RequestStatus.Refunded;
        emit MintRefunded(requestId);
        IERC20(request.cashToken).safeTransfer(request.requester, request.cashAmount);
    }

    /// @inheritdoc IAttestedIssuer
    function getMintRequest(bytes32 requestId) external view returns (MintRequest memory) {
        return _getStorage().mints[requestId];
    }

    /// @inheritdoc IAttestedIssuer
    function attestedLeg(bytes32 requestId, address asset) external view returns (uint256) {
        return _getStorage().legs[requestId][asset];
    }

    /// @inheritdoc IAttestedIssuer
    function attestedCustody(address index, address asset) external view returns (uint256) {
        return _getStorage().custody[index][asset];
    }

    /// @inheritdoc IAttestedIssuer
    function isTxIdUsed(bytes32 chain, bytes32 txId) external view returns (bool) {
        return _getStorage().usedTxIds[chain][txId];
    }

    /// @inheritdoc IAttestedIssuer
    function isIndexAllowed(address index) external view returns (bool) {
        return _getStorage().indexes[index];
    }

    /// @inheritdoc IAttestedIssuer
    function isCashToken(address token) external view returns (bool) {
        return _getStorage().cashTokens[token];
    }

    /// @inheritdoc IAttestedIssuer
    function requestTimeout() external view returns (uint256) {
        return _getStorage().requestTimeout;
    }

    /// @inheritdoc IAttestedIssuer
    function registry() external view returns (address) {
        return address(_getStorage().registry);
    }

    /// @inheritdoc IAttestedIssuer
    function hashLeg(CustodyLeg calldata leg) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(CUSTODY_LEG_TYPEHASH, leg)));
    }

    /**
     * @dev Checks one leg and records it. The amount is held to the basket as it stands now; the fee
     * factor only falls between tokenset changes, so a leg that covered the basket when accepted still
     * covers it at completion.
     */
    function _acceptLeg(
        AttestedIssuerStorage storage $,
        bytes32 requestId,
        uint256 indexAmount,
        CustodyLeg calldata leg,
        bytes calldata signature,
        address[] memory assets,
        uint256[] memory baseUnits,
        uint256 factor
    ) private {
        if (leg.requestId != requestId) revert LegForOtherRequest(requestId, leg.requestId);
        if (leg.direction != uint8(LegDirection.Received)) revert WrongDirection(leg.direction);
        address signer = ECDSA.recover(hashLeg(leg), signature);
        ICustodyRegistry registry_ = $.registry;
        if (!registry_.isSigner(signer)) revert NotCustodianSigner(signer);
        if (!registry_.isWallet(leg.chain, leg.wallet)) revert WalletNotRegistered(leg.chain, leg.wallet);
        if ($.usedTxIds[leg.chain][leg.txId]) revert TxIdAlreadyUsed(leg.chain, leg.txId);
        address asset = registry_.placeholderOf(leg.chain, leg.asset);
        uint256 required = _requiredAmount(asset, indexAmount, assets, baseUnits, factor);
        if (!registry_.isCustodian(asset)) revert AssetNotInBasket(asset);
        if ($.legs[requestId][asset] != 0) revert LegAlreadyAttested(requestId, asset);
        if (leg.amount < required) revert ShortDelivery(asset, leg.amount, required);
        $.usedTxIds[leg.chain][leg.txId] = true;
        $.legs[requestId][asset] = leg.amount;
        emit LegAttested(requestId, asset, leg.txId, leg.amount, leg.wallet, leg.counterparty, signer);
    }

    /// @dev The mint leg `asset` owes for `indexAmount`, rounded up; reverts if `asset` is not in the basket.
    function _requiredAmount(
        address asset,
        uint256 indexAmount,
        address[] memory assets,
        uint256[] memory baseUnits,
        uint256 factor
    ) private pure returns (uint256) {
        for (uint256 i; i < assets.length; ++i) {
            if (assets[i] == asset) return BasketMath.amountFor(indexAmount, baseUnits[i], factor, true);
        }
        revert AssetNotInBasket(asset);
    }

    function _setRequestTimeout(uint256 timeout) private {
        if (timeout == 0 || timeout > MAX_REQUEST_TIMEOUT) revert TimeoutOutOfRange(timeout, MAX_REQUEST_TIMEOUT);
        _getStorage().requestTimeout = timeout;
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

    function _getStorage() private pure returns (AttestedIssuerStorage storage $) {
        assembly {
            $.slot := STORAGE_LOCATION
        }
    }
}
